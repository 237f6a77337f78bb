/**
 * Secrets from a local JSON file: the embedded default for `npm start`, the CLI and tests.
 */
import { readFile } from "node:fs/promises";
import { isJsonObject, SecretError, type SecretSource } from "./secret-source";

/**
 * Reads `{ "<secret id>": { …value… }, … }` from a file. The file is read on every call, so an
 * edit takes effect at once; there is nothing to invalidate.
 */
export class FileSecretSource implements SecretSource {
  constructor(private readonly path: string) {}

  async read(id: string): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      throw new SecretError("unavailable", id, `cannot be read: ${this.path} is not readable`, {
        cause: error,
      });
    }
    let all: unknown;
    try {
      all = JSON.parse(text);
    } catch {
      throw new SecretError("not_json", id, `cannot be read: ${this.path} is not valid JSON`);
    }
    if (!isJsonObject(all)) {
      throw new SecretError("not_json", id, `cannot be read: ${this.path} is not a JSON object`);
    }
    const value = Object.hasOwn(all, id) ? all[id] : undefined;
    if (value === undefined) throw new SecretError("not_found", id, `is not in ${this.path}`);
    if (!isJsonObject(value)) throw new SecretError("not_json", id, "is not a JSON object");
    return value;
  }

  invalidate(): void {}
}

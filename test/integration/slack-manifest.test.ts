import { readFile } from "node:fs/promises";
import { Ajv, type ErrorObject } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BOT_SCOPES } from "../../lib/doctor/slack-checks";
import { MANIFEST_SCOPES } from "../../local/stand-ins/slack";

/**
 * `infra/slack-app-manifest.yml` against Slack's own manifest schema, as published
 * (test/fixtures/slack-manifest-schema/README.md says from where): "Create from manifest"
 * refuses what this schema refuses, so a manifest that fails here fails there first.
 */
type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  definitions?: Record<string, Schema>;
};

const SCHEMA_FILE = "test/fixtures/slack-manifest-schema/manifest.schema.1.0.0.json";
const load = async () => ({
  schema: JSON.parse(await readFile(SCHEMA_FILE, "utf8")) as Schema,
  manifest: parse(await readFile("infra/slack-app-manifest.yml", "utf8")),
});

/** The schema's rules for the value at one place: its `$ref`, followed within the file. */
function resolve(root: Schema, at: Schema): Schema {
  let s = at;
  while (s.$ref) {
    const name = s.$ref.replace("#/definitions/", "");
    const next = root.definitions?.[name];
    if (!next) throw new Error(`the schema has no definition ${s.$ref}`);
    s = next;
  }
  return s;
}

/**
 * Every field of the manifest, by its path, that the schema does not describe: a field the
 * schema knows nothing of is held to no rule (and Slack may ignore or refuse it).
 */
function undescribed(root: Schema, at: Schema, value: unknown, path: string): string[] {
  const s = resolve(root, at);
  if (Array.isArray(value))
    return s.items
      ? value.flatMap((v, i) => undescribed(root, s.items as Schema, v, `${path}[${i}]`))
      : [path];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const field = s.properties?.[key];
    return field ? undescribed(root, field, v, `${path}.${key}`) : [`${path}.${key}`];
  });
}

const show = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe("the Slack app manifest, by Slack's schema", () => {
  it("is valid against the schema Slack publishes", async () => {
    const { schema, manifest } = await load();
    // `format: uri` is the schema's only format, on `$schema`, which the manifest does not use.
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(
      schema,
    );
    validate(manifest);
    expect(show(validate.errors)).toEqual([]);
  });

  it("uses no field the schema does not describe, so each is held to a rule", async () => {
    const { schema, manifest } = await load();
    expect(undescribed(schema, schema, manifest, "")).toEqual([]);
  });

  it("sends /bm, the buttons and the events to one placeholder https URL, plainly to be replaced", async () => {
    const { manifest } = await load();
    const url = "https://replace-with-your-slack-request-url.invalid/slack/events";
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ url })]);
    expect(manifest.settings.interactivity.request_url).toBe(url);
    expect(manifest.settings.event_subscriptions).toEqual({
      request_url: url,
      bot_events: ["app_home_opened"],
    });
    // .invalid never resolves (RFC 2606): a manifest left unreplaced fails visibly, nowhere else.
    expect(new URL(url).hostname.endsWith(".invalid")).toBe(true);
  });

  it("has a Home tab and no Messages tab: bm publishes the one and reads no DMs", async () => {
    const { manifest } = await load();
    expect(manifest.features.app_home).toEqual({
      home_tab_enabled: true,
      messages_tab_enabled: false,
      messages_tab_read_only_enabled: false,
    });
  });

  it("marks the image and the reason as optional in /bm's usage hint, as /bm help does", async () => {
    const { manifest } = await load();
    expect(manifest.features.slash_commands[0].usage_hint).toBe(
      "detach <server> [<image-id> [reason]] | status <server>|<op-id> | history [server] | cancel <op-id> | help",
    );
  });

  it("asks for the scopes the doctor checks the token for, and the stand-in's token has", async () => {
    const { manifest } = await load();
    expect(manifest.oauth_config.scopes.bot).toEqual([...BOT_SCOPES]);
    expect(MANIFEST_SCOPES).toEqual(BOT_SCOPES);
  });

  it("finds a field the schema does not describe, and a URL that is not one", async () => {
    const { schema } = await load();
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(
      schema,
    );
    const bad = {
      display_information: { name: "bm" },
      features: { slash_commands: [{ command: "/bm", url: "REQUEST_URL", description: "x" }] },
      settings: { interactivity: { is_enabled: true, request_url: "REQUEST_URL" }, colour: 1 },
    };
    validate(bad);
    expect(show(validate.errors)).toEqual([
      '/features/slash_commands/0/url must match pattern "^https?:\\/\\/"',
      "/settings must NOT have additional properties",
      '/settings/interactivity/request_url must match pattern "^https?:\\/\\/"',
    ]);
    expect(undescribed(schema, schema, bad, "")).toEqual([".settings.colour"]);
  });
});

/**
 * Where ECL tokens come from: a fixed token from the tenant secret, or Keystone v3.
 */
import { SingleFlight } from "../util/single-flight";

/** Gives the token for the next request, and a new one after ECL refused one with a 401. */
export interface TokenProvider {
  token(): Promise<string>;
  /**
   * Called after ECL answered 401 to `rejected`. Returns a different token to try once more, or
   * undefined when there is none (the 401 is then final).
   */
  renew(rejected: string): Promise<string | undefined>;
  /**
   * The bare-metal endpoint (without `/v2/…`) that came with the token, when it came with one:
   * Keystone's catalog names it.
   */
  endpoint?(): Promise<string | undefined>;
  /** The image service's endpoint (catalog type `image`), when the token's catalog names one. */
  imageEndpoint?(): Promise<string | undefined>;
}

/** A token issued by Keystone, and when it stops working. */
export interface IssuedToken {
  token: string;
  expiresAt: number;
  /** The public bare-metal endpoint of the token's catalog, without `/v2/…`. */
  endpoint?: string | undefined;
  /** The public image service endpoint of the token's catalog, without `/v2`. */
  imageEndpoint?: string | undefined;
}

/** Tokens are replaced this long before they expire, so none expires in the middle of a call. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/** A token written into the tenant secret. A 401 re-reads the secret, in case it was rotated. */
export class StaticTokens implements TokenProvider {
  private current: string;
  private readonly reload: (() => Promise<string | undefined>) | undefined;

  constructor(token: string, reload?: () => Promise<string | undefined>) {
    this.current = token;
    this.reload = reload;
  }

  async token(): Promise<string> {
    return this.current;
  }

  async renew(rejected: string): Promise<string | undefined> {
    const fresh = this.reload ? await this.reload() : undefined;
    if (fresh === undefined || fresh === rejected) return undefined;
    this.current = fresh;
    return fresh;
  }
}

/**
 * Tokens from Keystone, kept until {@link TOKEN_REFRESH_MARGIN_MS} before `expires_at`.
 * Any number of concurrent callers cause one token request.
 */
export class KeystoneTokens implements TokenProvider {
  private current: IssuedToken | undefined;
  private readonly flight = new SingleFlight<"token", IssuedToken>();

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    return (await this.held()).token;
  }

  async endpoint(): Promise<string | undefined> {
    return (await this.held()).endpoint;
  }

  async imageEndpoint(): Promise<string | undefined> {
    return (await this.held()).imageEndpoint;
  }

  /** The token in hand while it has time left, else a new one: the endpoints come with it. */
  private async held(): Promise<IssuedToken> {
    const held = this.current;
    if (held && this.now() < held.expiresAt - TOKEN_REFRESH_MARGIN_MS) return held;
    return this.flight.run("token", async () => {
      const fresh = await this.issue();
      this.current = fresh;
      return fresh;
    });
  }

  async renew(rejected: string): Promise<string | undefined> {
    // Only the first of many callers refused with the same token drops it; the rest share the
    // token that caller fetches.
    if (this.current?.token === rejected) this.current = undefined;
    const fresh = await this.token();
    return fresh === rejected ? undefined : fresh;
  }
}

/**
 * The policy file: which channels are bound to which tenant, who may request and approve there.
 * Deny by default: a channel that is not listed has no rights at all.
 */

import { readFile } from "node:fs/promises";
import * as v from "valibot";
import { parse as parseYaml } from "yaml";
import { BmError } from "../errors";

/** One channel's rules. */
export interface ChannelPolicy {
  channelId: string;
  /** Key of the tenant in `tenants`. */
  tenant: string;
  /**
   * Slack user ids (U…, W…), user group ids (S…), or "*" (the workspace's own members; guests
   * and people from other organisations only where named by id).
   */
  requesters: string[];
  /** Slack user ids and user group ids: never "*", an approver is always named. */
  approvers: string[];
  /** 0: an incident (break-glass) channel; still audited. */
  approvals: number;
  allowSelfApproval: boolean;
  requestTtlMinutes: number;
  /** Once a day, the media mounted too long, in the channel (lib/followup/digest.ts). */
  mediaDigest?: MediaDigest;
}

/** `media_digest: "09:00 Asia/Tokyo"` and `stale_after_hours`. */
export interface MediaDigest {
  /** The local time of day it is due: minutes after midnight. */
  minutes: number;
  /** An IANA time zone this runtime knows. */
  zone: string;
  /** How long media may stay mounted before the digest names it. */
  staleAfterHours: number;
}

export interface Policy {
  /**
   * The Slack workspaces (team ids, T…) bm serves: a request or click from any other team, or by
   * a user of another team, is refused.
   */
  teamIds: string[];
  /** On Enterprise Grid, the organisation (E…) those workspaces belong to: any other is refused. */
  enterpriseId?: string;
  tenants: Record<string, { secret: string }>;
  channels: Record<string, ChannelPolicy>;
  /**
   * The channel (C…, G…) the daily audit check posts each day's seal to: a copy of the trail's
   * heads outside AWS. None: the seals stay in the audit table and the archive.
   */
  auditChannel?: string;
}

export class PolicyError extends BmError {
  readonly passing = false;
  /** For the deployer, in the cold start's log; a user sees its name only. */
  readonly forUsers = false;
  override readonly name = "PolicyError";
}

/**
 * The longest a request may wait for its approvals: a day. An approval given later approves a
 * server state nobody has looked at since, for a reason that may no longer hold; such a change is
 * asked for again. (A waiting request holds no lock, so the bound is not what keeps break-glass
 * free: it keeps approvals fresh, and stale cards few.)
 */
export const MAX_REQUEST_TTL_MINUTES = 1440;

const PRINCIPAL = /^(\*|[UW][A-Z0-9]{2,}|S[A-Z0-9]{2,})$/;
const CHANNEL = /^[CGD][A-Z0-9]{2,}$/;

/**
 * The default of `stale_after_hours`: a day. Installer media is mounted for a provisioning run of
 * a few hours; still there the next morning, it was forgotten, and the next reboot boots it.
 */
export const DEFAULT_STALE_AFTER_HOURS = 24;

const DIGEST_TIME = /^([01][0-9]|2[0-3]):[0-5][0-9] \S+$/;

/** Whether this runtime knows `zone` (Intl throws a RangeError for one it does not). */
export function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const Principals = (field: string) =>
  v.array(
    v.pipe(
      v.string(),
      v.regex(PRINCIPAL, `${field} entries must be user ids (U…, W…), user group ids (S…) or "*"`),
    ),
    `${field} must be a list`,
  );

const TEAM = /^T[A-Z0-9]+$/;
const ENTERPRISE = /^E[A-Z0-9]+$/;

const Schema = v.object(
  {
    team_ids: v.pipe(
      v.array(
        v.pipe(v.string(), v.regex(TEAM, "team_ids entries must be Slack team ids (T…)")),
        "team_ids must be a list of the Slack team ids (T…) bm serves",
      ),
      v.minLength(1, "team_ids must name at least one Slack team id (T…)"),
    ),
    enterprise_id: v.optional(
      v.pipe(
        v.string("enterprise_id must be a string"),
        v.regex(ENTERPRISE, "enterprise_id must be a Slack Enterprise Grid id (E…)"),
      ),
    ),
    audit_channel: v.optional(
      v.pipe(
        v.string("audit_channel must be a string"),
        v.regex(CHANNEL, "audit_channel must be a Slack channel id (C…, G…)"),
      ),
    ),
    tenants: v.record(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,64}$/, "tenant keys must be short names")),
      v.object({
        secret: v.pipe(v.string("secret must be a string"), v.nonEmpty("secret must not be empty")),
      }),
      "tenants must be a map",
    ),
    channels: v.record(
      v.pipe(v.string(), v.regex(CHANNEL, "channel keys must be Slack channel ids (C…, G…)")),
      v.object({
        tenant: v.string("tenant must be a string"),
        requesters: Principals("requesters"),
        approvers: v.optional(
          v.array(
            v.pipe(
              v.string(),
              v.check(
                (p) => p !== "*",
                `approvers may not be "*": anyone in the channel could approve; name the approvers (user ids U…, W… or user group ids S…)`,
              ),
              // "*" is refused by the check above, with its own reason, and by it alone.
              v.regex(
                PRINCIPAL,
                "approvers entries must be user ids (U…, W…) or user group ids (S…)",
              ),
            ),
            "approvers must be a list",
          ),
          [],
        ),
        approvals: v.pipe(
          v.number("approvals must be a number"),
          v.integer("approvals must be a whole number"),
          v.minValue(0, "approvals must be 0 or more"),
        ),
        allow_self_approval: v.optional(
          v.boolean("allow_self_approval must be true or false"),
          false,
        ),
        request_ttl_minutes: v.optional(
          v.pipe(
            v.number("request_ttl_minutes must be a number"),
            v.integer("request_ttl_minutes must be a whole number"),
            v.minValue(1, "request_ttl_minutes must be 1 or more"),
            v.maxValue(
              MAX_REQUEST_TTL_MINUTES,
              `request_ttl_minutes must be ${MAX_REQUEST_TTL_MINUTES} (a day) or less`,
            ),
          ),
          30,
        ),
        media_digest: v.optional(
          v.pipe(
            v.string("media_digest must be a string"),
            v.regex(
              DIGEST_TIME,
              'media_digest must be a time of day and a time zone, as "09:00 Asia/Tokyo"',
            ),
            v.check(
              (at) => knownZone(at.slice(6)),
              "media_digest names a time zone this runtime does not know (an IANA name, as Asia/Tokyo)",
            ),
            v.transform((at) => ({
              minutes: Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5)),
              zone: at.slice(6),
            })),
          ),
        ),
        stale_after_hours: v.optional(
          v.pipe(
            v.number("stale_after_hours must be a number"),
            v.integer("stale_after_hours must be a whole number"),
            v.minValue(1, "stale_after_hours must be 1 or more"),
          ),
          DEFAULT_STALE_AFTER_HOURS,
        ),
      }),
      "channels must be a map",
    ),
  },
  "the policy must be a map with team_ids, tenants and channels",
);

/** A missing field, said with what it is for when it is one the deployer must add. */
const missing = (path: string | null) =>
  path === "team_ids" ? "missing (the Slack team ids, T…, bm serves; required)" : "missing";

/**
 * Checks a parsed policy document.
 * @throws PolicyError naming each problem with its place in the file.
 */
export function parsePolicy(document: unknown, source = "the policy"): Policy {
  const result = v.safeParse(Schema, document);
  if (!result.success) {
    throw new PolicyError(
      `${source} is invalid: ${result.issues.map((i) => `${v.getDotPath(i) ?? "(top)"}: ${i.input === undefined ? missing(v.getDotPath(i)) : i.message}`).join("; ")}`,
    );
  }
  const problems: string[] = [];
  const channels: Record<string, ChannelPolicy> = {};
  for (const [channelId, c] of Object.entries(result.output.channels)) {
    if (!Object.hasOwn(result.output.tenants, c.tenant)) {
      problems.push(`channels.${channelId}.tenant: "${c.tenant}" is not one of tenants`);
    }
    if (c.approvals > 0 && c.approvers.length === 0) {
      problems.push(`channels.${channelId}.approvers: needed when approvals is ${c.approvals}`);
    }
    channels[channelId] = {
      channelId,
      tenant: c.tenant,
      requesters: c.requesters,
      approvers: c.approvers,
      approvals: c.approvals,
      allowSelfApproval: c.allow_self_approval,
      requestTtlMinutes: c.request_ttl_minutes,
      ...(c.media_digest
        ? { mediaDigest: { ...c.media_digest, staleAfterHours: c.stale_after_hours } }
        : {}),
    };
  }
  if (problems.length > 0) throw new PolicyError(`${source} is invalid: ${problems.join("; ")}`);
  const {
    team_ids: teamIds,
    enterprise_id: enterpriseId,
    audit_channel: auditChannel,
  } = result.output;
  return {
    teamIds,
    ...(enterpriseId ? { enterpriseId } : {}),
    tenants: result.output.tenants,
    channels,
    ...(auditChannel ? { auditChannel } : {}),
  };
}

/** Reads and checks the policy file (YAML, or JSON, which is YAML too). @throws PolicyError. */
export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new PolicyError(`the policy file ${path} (BM_POLICY) cannot be read`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new PolicyError(
      `the policy file ${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  return parsePolicy(document, `the policy file ${path}`);
}

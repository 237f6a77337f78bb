// The playground's page: renders the Slack stand-in's state as Slack would, and sends what the
// user does through the local front door (signed by the server). No framework, no CDN.

const EMOJI = {
  white_check_mark: "✅",
  x: "❌",
  warning: "⚠️",
  hourglass_flowing_sand: "⏳",
  arrows_counterclockwise: "🔄",
  information_source: "ℹ️",
  no_entry: "⛔",
  clock3: "🕒",
  heavy_multiplication_x: "✖️",
  inbox_tray: "📥",
  raised_hand: "✋",
  arrow_forward: "▶️",
};
let state = { usage: [], users: [], channels: [] };
/** This run's token, put into the page by the server: every call of the playground carries it. */
const TOKEN = document.querySelector('meta[name="bm-playground-token"]')?.content ?? "";
/** A call of the playground's server, with the token. */
const call = (path, options = {}) =>
  fetch(path, { ...options, headers: { ...options.headers, "x-playground-token": TOKEN } });
let user = localStorage.getItem("bm.user") || "U0LOCALUSER";
let channelId = localStorage.getItem("bm.channel") || "C0INCIDENT";
let threadTs = null;
/** The operation "behind the scenes" shows: the last one clicked on, else the channel's latest. */
let selectedOp = null;

const $ = (id) => document.getElementById(id);
const esc = (s) =>
  String(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
const channelName = (id) =>
  id
    .replace(/^C0/, "")
    .toLowerCase()
    .replace(/changes$/, "changes");
const userName = (id) => (state.users.find((u) => u.id === id)?.name ?? id).replace(/ \(.*\)$/, "");

/** Slack's mrkdwn (as bm writes it: already escaped) to HTML. */
function mrkdwn(text) {
  const parts = String(text ?? "").split(/(<[^>]+>)/g);
  return parts
    .map((part) => {
      const token = /^<(.+)>$/.exec(part);
      if (token) {
        const [target, label] = token[1].split("|");
        if (target.startsWith("@"))
          return `<span class="mention">@${esc(userName(target.slice(1)))}</span>`;
        if (target.startsWith("#"))
          return `<span class="mention">#${esc(channelName(target.slice(1).split("|")[0]))}</span>`;
        if (target.startsWith("!date^")) return dateHtml(target, label);
        if (target.startsWith("!subteam^"))
          return `<span class="mention">@${esc(label ?? target.slice(9))}</span>`;
        if (/^https?:\/\//.test(target))
          return `<a href="${esc(target)}" target="_blank" rel="noopener">${esc(fromSlack(label ?? target))}</a>`;
        return esc(fromSlack(part));
      }
      return inline(fromSlack(part));
    })
    .join("");
}
/**
 * A Slack date token (`<!date^epoch^{date_num} {time}|fallback>`) as Slack shows it: in the
 * reader's own time zone, here the browser's; the fallback when it cannot be read.
 */
function dateHtml(target, fallback) {
  const [, epoch, tokens] = target.split("^");
  const at = new Date(Number(epoch) * 1000);
  const shown = /^\d+$/.test(epoch ?? "") && tokens ? formatDate(at, tokens) : undefined;
  if (shown === undefined) return esc(fromSlack(fallback ?? ""));
  const full = at.toLocaleString([], { dateStyle: "full", timeStyle: "long" });
  return `<time datetime="${esc(at.toISOString())}" title="${esc(full)}">${esc(shown)}</time>`;
}

/** Slack's date tokens, in the browser's zone; undefined for a token Slack would not know. */
function formatDate(at, tokens) {
  const pad = (n) => String(n).padStart(2, "0");
  const words = {
    date_num: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
    date: at.toLocaleDateString([], { dateStyle: "long" }),
    date_short: at.toLocaleDateString([], { dateStyle: "medium" }),
    date_long: at.toLocaleDateString([], { dateStyle: "full" }),
    time: at.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }),
    time_secs: at.toLocaleTimeString([], { hour: "numeric", minute: "2-digit", second: "2-digit" }),
  };
  let unknown = false;
  const text = tokens.replace(/\{([a-z_]+)\}/g, (_, name) => {
    if (!(name in words)) unknown = true;
    return words[name] ?? "";
  });
  return unknown ? undefined : text;
}

function fromSlack(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
function inline(text) {
  return text
    .split(/(`[^`\n]+`)/g)
    .map((piece) => {
      if (/^`[^`\n]+`$/.test(piece)) return `<code>${esc(piece.slice(1, -1))}</code>`;
      return esc(piece)
        .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, "$1<b>$2</b>")
        .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, "$1<i>$2</i>")
        .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, "$1<s>$2</s>")
        .replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m)
        .replace(/\n/g, "<br>");
    })
    .join("");
}
const textOf = (t) => (t?.type === "plain_text" ? esc(t.text) : mrkdwn(t?.text ?? ""));

/** A Block Kit button: a real button, with what a click on it must tell Slack. */
function buttonHtml(e, block, message) {
  // What a screen reader says of it, as Slack's accessibility_label; its confirmation dialog.
  const label = e.accessibility_label ? ` aria-label="${esc(e.accessibility_label)}"` : "";
  const confirm = e.confirm ? ` data-confirm="${esc(JSON.stringify(e.confirm))}"` : "";
  return `<button type="button" class="${esc(e.style ?? "")}"${label}${confirm} data-action="${esc(e.action_id)}" data-value="${esc(e.value ?? "")}" data-block="${esc(block.block_id ?? "")}" data-ts="${esc(message?.ts ?? "")}"${message?.ephemeral ? ' data-ephemeral="1"' : ""}${message?.home ? ' data-home="1"' : ""}>${esc(e.text?.text ?? "")}</button>`;
}

/** Block Kit, the block types bm uses. */
function blocks(list, message) {
  return (list ?? [])
    .map((b) => {
      if (b.type === "section") {
        const fields = b.fields
          ? `<div class="fields">${b.fields.map((f) => `<div>${textOf(f)}</div>`).join("")}</div>`
          : "";
        const accessory =
          b.accessory?.type === "button"
            ? `<div class="accessory">${buttonHtml(b.accessory, b, message)}</div>`
            : "";
        return `<div class="block${accessory ? " with-accessory" : ""}"><div>${b.text ? `<div>${textOf(b.text)}</div>` : ""}${fields}</div>${accessory}</div>`;
      }
      if (b.type === "context")
        return `<div class="block context">${b.elements.map((e) => textOf(e)).join(" ")}</div>`;
      if (b.type === "divider") return "<hr>";
      if (b.type === "header") return `<div class="block"><b>${textOf(b.text)}</b></div>`;
      if (b.type === "actions")
        return `<div class="block actions">${b.elements.map((e) => buttonHtml(e, b, message)).join("")}</div>`;
      return `<div class="block refused">(a ${esc(b.type)} block)</div>`;
    })
    .join("");
}

function messageHtml(m, options = {}) {
  const body = m.blocks?.length ? blocks(m.blocks, m) : `<div>${mrkdwn(m.text)}</div>`;
  const edited = m.edits > 0 ? '<span class="edited">(edited)</span>' : "";
  // A thread reply sent to the channel too (reply_broadcast), as Slack marks it there.
  const also =
    m.broadcast && !options.inThread
      ? `<div class="also">replied to a thread: <button type="button" class="thread-open" data-thread="${esc(m.threadTs)}">view thread</button></div>`
      : "";
  const replies =
    !options.inThread && m.replies?.length
      ? `<button type="button" class="thread-open" data-thread="${esc(m.ts)}">${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}</button>`
      : "";
  return `<li class="message"><div class="who">bm<span class="badge">APP</span>${timeHtml(Number(m.ts) * 1000)}${edited}</div>${also}${body}${replies}</li>`;
}

/** When a message was posted, as Slack shows it beside the name (the day and date on hover). */
function timeHtml(ms) {
  if (!Number.isFinite(ms) || ms <= 0) return "";
  const at = new Date(ms);
  const short = at.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  const full = at.toLocaleString([], { dateStyle: "full", timeStyle: "medium" });
  return `<time datetime="${esc(at.toISOString())}" title="${esc(full)}">${esc(short)}</time>`;
}

function ephemeralHtml(e) {
  const body = e.blocks?.length
    ? blocks(e.blocks, { ts: e.ts, ephemeral: true })
    : `<div>${mrkdwn(e.text)}</div>`;
  const edited = e.edits > 0 ? '<span class="edited">(edited)</span>' : "";
  return `<li class="message ephemeral"><div class="only">Only visible to you${timeHtml(e.at)}${edited}</div>${body}</li>`;
}

/** The channel the list shows: a channel opened is shown from its latest message. */
let shownChannel = null;
/** Scrolled to the bottom, or nearly (within a line). */
const pinned = (element) => element.scrollHeight - element.scrollTop - element.clientHeight < 40;

/**
 * Sets an element's HTML only when it changed: the page renders on every change of the stand-in
 * (several a second while bm works), and a button replaced by an identical one is never "stable"
 * for a click, a screen reader's or a test's.
 */
const lastHtml = new WeakMap();
function setHtml(element, html) {
  if (lastHtml.get(element) === html) return;
  lastHtml.set(element, html);
  element.innerHTML = html;
}

/** The Home tab: bm's, as views.publish last left it for the person acting. */
const HOME = "HOME";

function renderHome() {
  setHtml(
    $("channel-header"),
    `<h1>Home</h1><p>bm's Home tab for ${esc(userName(user))}: opened with a signed app_home_opened event, published by bm with views.publish</p>`,
  );
  setHtml(
    $("messages"),
    state.home
      ? `<li class="message home">${blocks(state.home.blocks, { home: true })}</li>`
      : '<li class="message">Opening the Home tab…</li>',
  );
  $("thread").hidden = true;
}

function render() {
  $("home-tab").setAttribute("aria-current", String(channelId === HOME));
  const channel =
    channelId === HOME
      ? state.channels[0]
      : (state.channels.find((c) => c.id === channelId) ?? state.channels[0]);
  if (!channel) return;
  if (channelId !== HOME) channelId = channel.id;
  setHtml(
    $("acting-as"),
    state.users
      .map(
        (u) =>
          `<option value="${esc(u.id)}"${u.id === user ? " selected" : ""}>${esc(u.name)}${u.groups.length ? ` · ${esc(u.groups.join(", "))}` : ""}</option>`,
      )
      .join(""),
  );
  const me = state.users.find((u) => u.id === user);
  $("groups").textContent = me?.groups.length
    ? `groups: ${me.groups.join(", ")}`
    : "in no user group";
  setHtml(
    $("channels"),
    state.channels
      .map(
        (c) =>
          `<li><button type="button" data-channel="${esc(c.id)}" aria-current="${c.id === channelId}">#${esc(channelName(c.id))}<span class="meta">${c.approvals ? `${c.approvals} approval${c.approvals > 1 ? "s" : ""}` : "no approval"}${c.member ? "" : " · bm not invited"}</span></button></li>`,
      )
      .join(""),
  );
  if (channelId === HOME) {
    renderHome();
    renderModal(state.modal);
    return;
  }
  setHtml(
    $("channel-header"),
    `<h1>#${esc(channelName(channel.id))}</h1><p>${esc(channel.id)} · tenant ${esc(channel.tenant)} · requesters: ${esc((channel.requesters ?? []).join(", "))} · ${channel.approvals ? `${channel.approvals} approval${channel.approvals > 1 ? "s" : ""} from ${esc((channel.approvers ?? []).join(", "))}` : "no approval needed"}${channel.member ? "" : " · bm was never invited here"}</p>`,
  );
  const items = [
    ...channel.messages.map((m) => ({ at: Number(m.ts) * 1000, html: messageHtml(m) })),
    ...channel.ephemerals.map((e) => ({ at: e.at, html: ephemeralHtml(e) })),
    ...channel.refusals.map((r) => ({
      at: r.at,
      html: `<li class="message refused" role="note">Slack refused bm's <code>${esc(r.method)}</code> here: <code>${esc(r.error)}</code></li>`,
    })),
  ].sort((a, b) => a.at - b.at);
  // The list scrolls inside the window: a new message keeps it at the bottom if the reader was
  // there (as Slack does), and leaves it where it is if they had scrolled up to read.
  const list = $("messages");
  const keep = pinned(list) || shownChannel !== channel.id;
  shownChannel = channel.id;
  setHtml(list, items.map((i) => i.html).join(""));
  if (keep) list.scrollTop = list.scrollHeight;
  const parent = threadTs && channel.messages.find((m) => m.ts === threadTs);
  const pane = $("thread");
  if (parent) {
    const keepThread = pane.hidden || pinned(pane);
    pane.hidden = false;
    pane.innerHTML = `<h2>Thread <button type="button" data-close-thread>Close</button></h2><ol class="messages">${messageHtml(parent, { inThread: true })}${parent.replies.map((r) => messageHtml(r, { inThread: true })).join("")}</ol>`;
    if (keepThread) pane.scrollTop = pane.scrollHeight;
  } else pane.hidden = true;
  renderModal(state.modal);
  renderScenes(channel);
}

/** The ECL simulator's servers, the channel's latest operation and its audit trail, the faults. */
async function renderScenes(channel) {
  const body = $("scenes-body");
  if (!state.ecl || !$("scenes").open) return;
  const servers = state.ecl.servers
    .map(
      (s) =>
        `<tr><td>${esc(s.name)}</td><td>${esc(s.taskState ?? "(absent)")}<br>${esc(s.powerState)}</td><td>${s.media.length ? s.media.map((m) => esc(m.slice(0, 8))).join(", ") : "no media"}<br><button type="button" data-attach="${esc(s.id)}">Attach image again</button> <button type="button" data-busy="${esc(s.id)}">Make busy 20 s</button></td></tr>`,
    )
    .join("");
  const switches = [
    ["race409", "409 race on the next action"],
    ["slowEcl", "Slow ECL (actions 8 s)"],
    ["slackRateLimits", "Slack rate-limits bm (Slack's real tiers)"],
  ]
    .map(
      ([key, label]) =>
        `<label><input type="checkbox" data-fault="${key}"${state.ecl.faults[key] ? " checked" : ""}> ${esc(label)}</label>`,
    )
    .join("");
  // The race is spent by the action that meets it: the switch unticks itself and says which.
  const race = state.ecl.lastRace;
  const raced = race
    ? `<p class="race" role="status">Last 409 race: ${esc(race.name)}, ${timeHtml(race.at)}. Tick again to race the next action.</p>`
    : "";
  const eachServer = state.ecl.race409EachServer
    ? `<p class="race">--race-409 ${esc(state.ecl.race409EachServer)}: the first action on each server races too.</p>`
    : "";
  // Slack's limits: how often it refused bm, and any call bm made before Slack's Retry-After.
  const rates = state.ecl.slackRates;
  const early = rates.early.at(-1);
  const limited =
    (rates.refused
      ? `<p class="race" role="status">Slack refused ${rates.refused} ${rates.refused === 1 ? "call" : "calls"} of bm for their rate.</p>`
      : "") +
    (early
      ? `<p class="race" role="alert">bm called Slack ${rates.early.length} ${rates.early.length === 1 ? "time" : "times"} before a Retry-After had passed (last: ${esc(early.method)}, ${timeHtml(early.at)}).</p>`
      : "");
  const latest = [...channel.messages].reverse().find((m) => /op-[a-z0-9]{10}/.test(m.text));
  let trail = "";
  const id = selectedOp ?? (latest && /op-[a-z0-9]{10}/.exec(latest.text)[0]);
  if (id) {
    const found = await (await call(`/_playground/operation?id=${id}`)).json();
    if (found)
      trail = `<h3>${esc(id)}: ${esc(found.op.state)}</h3><ol>${found.audit
        .map((e) => `<li>${esc(e.action)} by ${esc(userName(e.actor?.userId ?? "?"))}</li>`)
        .join("")}</ol>`;
  }
  body.innerHTML = `<h3>ECL servers</h3><table>${servers}</table><h3>Faults</h3>${switches}${raced}${eachServer}${limited}${trail}`;
}

/** Modals closed here (Cancel, Escape) that the server may not know of yet: never reopened. */
const dismissed = new Set();

function renderModal(modal) {
  const root = $("modal-root");
  if (!modal || dismissed.has(modal.id)) {
    // Submitted, or dismissed: a dialog removed leaves the top layer, and the page is usable.
    root.innerHTML = "";
    delete root.dataset.modal;
    return;
  }
  const v = modal.view;
  const fields = (v.blocks ?? []).filter((b) => b.type === "input");
  const shownAs = `${modal.id}#${modal.updates ?? 0}`;
  if (root.dataset.modal === shownAs) {
    // The modal is open already: only its errors change. Its inputs are left alone, so nothing
    // typed is lost to a render (every message bm posts meanwhile renders the page).
    for (const b of fields) showError(root, b.block_id, modal.errors?.[b.block_id]);
    return;
  }
  root.dataset.modal = shownAs;
  const inputs = (v.blocks ?? [])
    .map((b) => {
      if (b.type !== "input") return blocks([b]);
      return `<label for="modal-${esc(b.block_id)}">${esc(b.label?.text ?? "")}</label><textarea id="modal-${esc(b.block_id)}" data-block="${esc(b.block_id)}" rows="3" maxlength="${esc(b.element?.max_length ?? 3000)}"></textarea>`;
    })
    .join("");
  root.innerHTML = `<dialog aria-labelledby="modal-title"><header id="modal-title">${esc(v.title?.text ?? "")}</header><div class="body">${inputs}</div><footer><button type="button" data-modal-close>${esc(v.close?.text ?? "Cancel")}</button>${v.submit ? `<button type="button" class="submit" data-modal-submit="${esc(modal.id)}">${esc(v.submit.text)}</button>` : ""}</footer></dialog>`;
  for (const b of fields) showError(root, b.block_id, modal.errors?.[b.block_id]);
  // A real modal, as Slack's: over the page (a backdrop, the rest inert), wherever the page is
  // scrolled, with the focus in its first field. Escape closes it as Cancel does.
  const dialog = root.querySelector("dialog");
  dialog.addEventListener("close", () => dismiss(modal.id));
  dialog.showModal();
  dialog.querySelector("textarea")?.focus();
}

/**
 * A button's confirmation dialog, as Slack shows it before the click is sent: its title, its
 * text, deny and confirm; confirm sends the click, deny or Escape sends nothing.
 */
function confirmFirst(button) {
  const words = JSON.parse(button.dataset.confirm);
  const root =
    $("confirm-root") ??
    document.body.appendChild(Object.assign(document.createElement("div"), { id: "confirm-root" }));
  root.innerHTML = `<dialog class="confirm" aria-labelledby="confirm-title"><header id="confirm-title">${esc(words.title?.text ?? "")}</header><div class="body">${textOf(words.text)}</div><footer><button type="button" data-deny>${esc(words.deny?.text ?? "Cancel")}</button><button type="button" class="submit ${esc(words.style ?? "primary")}" data-confirm-ok>${esc(words.confirm?.text ?? "OK")}</button></footer></dialog>`;
  const dialog = root.querySelector("dialog");
  dialog.addEventListener("click", (event) => {
    const chosen = event.target.closest("button");
    if (!chosen) return;
    event.stopPropagation();
    dialog.close();
    root.innerHTML = "";
    if (chosen.hasAttribute("data-confirm-ok")) {
      button.dataset.confirmed = "1";
      button.click();
    }
  });
  dialog.addEventListener("close", () => {
    root.innerHTML = "";
  });
  dialog.showModal();
}

/** Closes the modal `id` here at once, and tells the server, as Slack's Cancel does. */
function dismiss(id) {
  if (dismissed.has(id)) return;
  dismissed.add(id);
  const root = $("modal-root");
  if (root.dataset.modal?.startsWith(`${id}#`)) {
    root.innerHTML = "";
    delete root.dataset.modal;
  }
  post("/_playground/close", { modal: id });
}

/** Slack's error under an input, as Slack shows it in place; none, removed. */
function showError(root, blockId, error) {
  const input = root.querySelector(`textarea[data-block="${CSS.escape(blockId)}"]`);
  if (!input) return;
  let shown = input.nextElementSibling?.classList.contains("error")
    ? input.nextElementSibling
    : null;
  if (!error) {
    shown?.remove();
    return;
  }
  if (!shown) {
    shown = document.createElement("div");
    shown.className = "error";
    shown.setAttribute("role", "alert");
    input.after(shown);
  }
  if (shown.textContent !== error) shown.textContent = error;
}

async function load() {
  const response = await call(`/_playground/state?user=${encodeURIComponent(user)}`);
  if (response.status === 403) {
    // A new run of npm start has a new token: this page's is no longer good.
    $("hint").textContent = "bm was restarted: reload this page";
    return;
  }
  state = await response.json();
  render();
}
// keepalive: a click's post outlives a page load that follows it at once (a modal closed, then
// the page reloaded, was otherwise still open on the server and shown again).
const post = (path, body) =>
  call(path, {
    method: "POST",
    keepalive: true,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user, channel: channelId, ...body }),
  }).then(load);

document.addEventListener("click", (event) => {
  // A click on a message picks its operation for "behind the scenes".
  const picked = /op-[a-z0-9]{10}/.exec(event.target.closest(".message")?.textContent ?? "");
  if (picked && picked[0] !== selectedOp) {
    selectedOp = picked[0];
    if ($("scenes").open) render();
  }
  const target = event.target.closest("button");
  if (!target) return;
  if (target.id === "home-tab") {
    channelId = HOME;
    threadTs = null;
    localStorage.setItem("bm.channel", channelId);
    render();
    post("/_playground/home", {});
  } else if (target.dataset.channel) {
    channelId = target.dataset.channel;
    threadTs = null;
    selectedOp = null;
    localStorage.setItem("bm.channel", channelId);
    render();
  } else if (target.dataset.thread) {
    threadTs = target.dataset.thread;
    render();
  } else if (target.hasAttribute("data-close-thread")) {
    threadTs = null;
    render();
  } else if (target.dataset.attach) {
    post("/_playground/attach", { server: target.dataset.attach });
  } else if (target.dataset.busy) {
    post("/_playground/fault", { fault: "busy", server: target.dataset.busy, on: "true" });
  } else if (target.dataset.action && target.dataset.confirm && !target.dataset.confirmed) {
    confirmFirst(target);
  } else if (target.dataset.action) {
    delete target.dataset.confirmed;
    post("/_playground/click", {
      action: target.dataset.action,
      value: target.dataset.value,
      ts: target.dataset.ts,
      block: target.dataset.block,
      ...(target.dataset.ephemeral ? { ephemeral: "true" } : {}),
      ...(target.dataset.home ? { home: "true" } : {}),
    });
  } else if (target.dataset.modalSubmit) {
    const reason = $("modal-root").querySelector("textarea")?.value ?? "";
    post("/_playground/submit", { modal: target.dataset.modalSubmit, reason });
  } else if (target.hasAttribute("data-modal-close")) {
    $("modal-root").querySelector("dialog")?.close();
  }
});
document.addEventListener("change", (event) => {
  if (event.target.dataset?.fault)
    post("/_playground/fault", {
      fault: event.target.dataset.fault,
      on: String(event.target.checked),
    });
});
$("scenes").addEventListener("toggle", () => load());
$("acting-as").addEventListener("change", (event) => {
  user = event.target.value;
  localStorage.setItem("bm.user", user);
  // On the Home tab, the new person opens theirs: Slack sends app_home_opened again.
  if (channelId === HOME) post("/_playground/home", {});
  else load();
});
const input = $("message");
input.addEventListener("input", () => {
  const typed = input.value.trim();
  const matches = typed.startsWith("/")
    ? state.usage.filter(
        (u) =>
          u.startsWith(typed.split(" ").slice(0, 2).join(" ")) || typed === "/" || typed === "/bm",
      )
    : [];
  $("hint").textContent = matches.join("   ·   ");
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  $("hint").textContent = "";
  if (!text.startsWith("/bm")) {
    $("hint").textContent = "Only /bm commands here: try /bm help";
    return;
  }
  post("/_playground/slash", { text });
});

/**
 * The stand-in's changes, as server-sent events: each one reloads the state. Read with fetch,
 * which sends the token (an EventSource cannot send a header); again a second after it ends.
 */
async function watch() {
  for (;;) {
    try {
      const response = await call("/_playground/events");
      // Not this run's token: load() says to reload the page; asking again would not help.
      if (response.status === 403) return;
      if (response.ok) {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) load();
      }
    } catch {
      // The stack stopped or restarted: try again below.
    }
    await new Promise((again) => setTimeout(again, 1000));
  }
}
watch();
if (channelId === HOME) post("/_playground/home", {});
else load();

// flexcord sandbox page: plays a player (left, Discord-like) and an agent (right, Flex-like)
// against the JSON API under /sandbox/api/. Plain JavaScript, no build step.
"use strict";

const API = "sandbox/api/";
const $ = (id) => document.getElementById(id);
const view = {
  state: null, user: null, channel: "general", command: null, pickerIndex: 0,
  task: null, tasks: [], caseRef: null, form: null, lastMessages: "", lastTaskMessages: "",
  casePages: [], caseNext: null,  // the refs each earlier page of cases started after; the next one's
};

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(API + path, init);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const message = (data && data.error) || `The sandbox answered ${response.status}.`;
    throw new Error(message);
  }
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// --- Discord-flavoured text: **bold**, links, <@id> mentions, <#id> channels --------------------
function richText(text) {
  const out = document.createDocumentFragment();
  const users = new Map(((view.state && view.state.users) || []).map((u) => [u.id, u.name]));
  for (const role of (view.state && view.state.roles) || []) users.set("&" + role.id, role.name);
  const pattern = /\*\*(.+?)\*\*|<@(?:!|(&))?(\d+)>|(https?:\/\/[^\s<>()]+)|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.append(text.slice(last, match.index));
    if (match[1] !== undefined) out.append(el("strong", {}, match[1]));
    else if (match[3] !== undefined) out.append(el("span", {class: "mention"}, "@" + (users.get((match[2] || "") + match[3]) || "someone")));
    else if (match[4] !== undefined) out.append(el("a", {href: match[4], target: "_blank", rel: "noopener"}, match[4]));
    else out.append(el("a", {href: match[6], target: "_blank", rel: "noopener"}, match[5]));
    last = match.index + match[0].length;
  }
  out.append(text.slice(last));
  return out;
}

// Times are shown in the bot's business-hours time zone when it has one (the "sandbox time").
function zone() {
  return (view.state && view.state.clock && view.state.clock.timezone) || undefined;
}

function timeOf(iso, options) {
  if (!iso) return "";
  const at = new Date(iso);
  if (isNaN(at)) return "";
  return at.toLocaleString([], Object.assign({hour: "2-digit", minute: "2-digit", timeZone: zone()}, options));
}

// --- top strip -------------------------------------------------------------------------------
function renderStrip(state) {
  const config = state.config || {};
  $("config-name").textContent = config.name || "";
  $("guild-name").textContent = state.guild || "Discord";
  const reload = config.last_reload;
  const status = $("reload-status");
  const list = $("reload-errors");
  list.replaceChildren();
  if (!reload || reload.ok) {
    status.className = "reload ok";
    const at = reload && reload.at ? ` at ${timeOf(reload.at)}` : "";
    status.textContent = `✔ Rules loaded ${config.version || ""}${at}`;
    list.hidden = true;
  } else {
    status.className = "reload failed";
    const count = reload.errors.length;
    status.textContent = `✖ Your last edit has ${count} problem${count === 1 ? "" : "s"}: ` +
      `the rules loaded ${config.version || ""} keep working until you fix ${count === 1 ? "it" : "them"}.`;
    for (const error of reload.errors) {
      list.append(el("li", {}, `${error.file}:${error.line}:${error.col}: ${error.message}`,
        error.hint ? el("span", {class: "hint"}, ` (${error.hint})`) : null));
    }
    list.hidden = false;
  }
  const clock = state.clock || {};
  const where = clock.timezone ? ` (${clock.timezone})` : "";
  $("clock").textContent = clock.now ? `Sandbox time ${timeOf(clock.now, {weekday: "short"})}${where}` +
    (clock.hours ? ` · support ${clock.hours}` : "") : "";
  const notes = [clock.note, state.notice].filter(Boolean);
  $("sandbox-notes").replaceChildren(...notes.map((note) => el("li", {}, note)));
  $("sandbox-notes").hidden = !notes.length;
}

// --- player side -----------------------------------------------------------------------------
function renderUsers(state) {
  const select = $("user-select");
  if (select.options.length !== state.users.length) {
    select.replaceChildren(...state.users.map((u) => el("option", {value: u.name},
      u.roles.length ? `${u.name} (${u.roles.join(", ")})` : u.name)));
    if (!view.user) view.user = state.users[0] && state.users[0].name;
    select.value = view.user;
  }
  const me = state.users.find((u) => u.name === view.user);
  const roles = me && me.roles.length ? me.roles : ["player"];
  $("user-roles").replaceChildren(...roles.map((r) => el("span", {class: "role " + r}, r)),
    el("span", {id: "user-language", class: "language", title: "The language of their Discord app"},
      me && me.locale ? me.locale : ""));
}

// A command as the player's Discord app shows it: its name and description in their language.
function shown(command) {
  const me = view.state && view.state.users.find((u) => u.name === view.user);
  const mine = me && command.localized && command.localized[me.locale];
  return mine || {name: command.name, description: command.description};
}

function channelInfo(name) {
  return (view.state.channels || []).find((c) => c.name === name);
}

// A case thread or forum post, addressed as "thread:<id>", and the channel it belongs to.
function threadInfo(key) {
  for (const c of (view.state && view.state.channels) || []) {
    const thread = (c.threads || []).find((t) => t.key === key);
    if (thread) return {thread, parent: c};
  }
  return null;
}

// Where commands are checked: a thread counts as its channel, as on Discord.
function channelHere() {
  const found = threadInfo(view.channel);
  return found ? found.parent.name : view.channel;
}

function threadItem(t) {
  const tags = t.tags.map((tag) => el("span", {class: "tag"}, tag));
  const state = t.locked ? el("span", {class: "lock", title: "Closed: archived and locked"}, "locked") : null;
  return el("li", {}, el("button", {
    type: "button", class: "channel thread" + (view.channel === t.key ? " active" : ""), "data-channel": t.key,
    "data-kind": t.kind, onclick: () => selectChannel(t.key),
  }, t.kind === "post" ? "▤ " : "↳ ", ...tags, state, " ", t.name));
}

function channelItem(c) {
  const threads = (c.threads || []).filter((t) => t.can_view[view.user] !== false);
  return el("li", {}, el("button", {
    type: "button", class: "channel" + (view.channel === c.name ? " active" : ""), "data-channel": c.name,
    onclick: () => selectChannel(c.name),
  }, c.forum ? `▤ ${c.name}` : `# ${c.name}`, c.can_send && c.can_send[view.user] === false && !c.forum ? el("span", {class: "lock", title: "You can read but not post here"}, "read-only") : null),
  threads.length ? el("ul", {class: "threads"}, ...threads.map(threadItem)) : null);
}

function renderChannels(state) {
  const list = $("channel-list");
  list.replaceChildren(...state.channels.filter((c) => !c.can_view || c.can_view[view.user] !== false)
    .map(channelItem));
  $("dm-button").classList.toggle("active", view.channel === "dm");
  const found = threadInfo(view.channel);
  const info = view.channel === "dm" ? null : found ? found.parent : channelInfo(view.channel);
  const title = found ? found.thread.name : `# ${view.channel}`;
  $("chat-title").textContent = view.channel === "dm" ? "@ flexcord" : title;
  $("chat-topic").textContent = view.channel === "dm"
    ? "Your private conversation with the bot. Ask a question, or ask for an agent."
    : found ? (found.thread.kind === "post" ? `A post in #${found.parent.name}` + (found.thread.tags.length ? ` · tagged ${found.thread.tags.join(", ")}` : "")
      : `A private case thread in #${found.parent.name}`) : (info && info.topic) || "";
  const readOnly = !found && info && info.can_send && info.can_send[view.user] === false;
  $("composer-input").placeholder = view.channel === "dm" ? "Message @flexcord"
    : found ? `Message ${found.thread.name}`
    : readOnly ? `You can't post in #${view.channel} (commands still work)` : `Message #${view.channel}`;
}

function selectChannel(name) {
  view.channel = name;
  view.lastMessages = "";
  hideCommand();
  showError("");
  renderChannels(view.state);
  refreshMessages();
}

function emptyHint() {
  if (view.channel === "dm") {
    return el("li", {class: "empty"}, el("strong", {}, "No messages with the bot yet."), el("br"),
      "Ask a question like \"my game crashes on start\", or type \"I want an agent\".");
  }
  const commands = commandsHere().map((c) => "/" + c.name);
  const found = threadInfo(view.channel);
  const where = found ? found.thread.name : `#${view.channel}`;
  return el("li", {class: "empty"}, el("strong", {}, `Nothing in ${where} yet.`), el("br"),
    commands.length ? `Try ${commands.slice(0, 3).join(", ")} here, or DM the bot "I want an agent".`
      : "Try /bug in #bug-report, or DM the bot \"I want an agent\".");
}

function renderMessage(message) {
  const embeds = (message.embeds || []).map((e) => el("div", {class: "embed"},
    e.author ? el("div", {class: "embed-author"}, e.author) : null,
    e.title ? el("div", {class: "embed-title"}, e.url ? el("a", {href: e.url, target: "_blank", rel: "noopener"}, e.title) : e.title) : null,
    e.description ? el("div", {class: "embed-description"}, richText(e.description)) : null,
    ...(e.fields || []).map((f) => [el("div", {class: "embed-field-name"}, f.name), el("div", {}, richText(f.value))]),
    e.footer ? el("div", {class: "embed-footer"}, e.footer) : null));
  const buttons = (message.buttons || []).map((b) => b.url
    ? el("a", {class: "link-button", href: b.url, target: "_blank", rel: "noopener"}, b.label + " ↗")
    : el("button", {type: "button", class: b.style, disabled: b.disabled,
      onclick: () => clickButton(message.id, b.id)}, b.label));
  return el("li", {class: "message" + (message.ephemeral ? " ephemeral" : ""), "data-id": message.id},
    el("div", {class: "meta"},
      el("span", {class: "author" + (message.bot ? " bot" : "")}, message.author),
      message.bot ? el("span", {class: "badge"}, "BOT") : null,
      el("span", {class: "time"}, timeOf(message.at))),
    message.text ? el("div", {class: "text"}, richText(message.text)) : null,
    filesView(message.files), embeds, buttons.length ? el("div", {class: "buttons"}, buttons) : null,
    message.ephemeral ? el("div", {class: "only-you"}, eye(), " Only you can see this") : null);
}

// Files on a message: pictures shown inline, anything else as a link to download it.
function filesView(files) {
  if (!files || !files.length) return null;
  return el("div", {class: "files"}, files.map((f) => (f.content_type || "").startsWith("image/")
    ? el("a", {href: f.url, target: "_blank", rel: "noopener"}, el("img", {src: f.url, alt: f.name}))
    : el("a", {class: "file", href: f.url, download: f.name}, `${f.name} (${f.size} bytes)`)));
}

// The files picked in an <input type=file>, as the API takes them: {name, data (base64)}.
async function picked(input) {
  const out = [];
  for (const file of input.files || []) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    out.push({name: file.name, data: btoa(binary)});
  }
  return out;
}

function eye() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "eye");
  svg.innerHTML = '<path fill="currentColor" d="M12 5C5.6 5 2 12 2 12s3.6 7 10 7 10-7 10-7-3.6-7-10-7zm0 11a4 4 0 1 1 0-8 4 4 0 0 1 0 8z"/>';
  return svg;
}

async function refreshMessages() {
  if (!view.user) return;
  const query = `messages?user=${encodeURIComponent(view.user)}&channel=${encodeURIComponent(view.channel)}`;
  let messages;
  try { messages = await api(query); } catch (e) { return; }
  const key = JSON.stringify(messages);
  if (key === view.lastMessages) return;
  view.lastMessages = key;
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...(messages.length ? messages.map(renderMessage) : [emptyHint()]));
  if (atBottom || messages.length) list.scrollTop = list.scrollHeight;
}

function showError(text) {
  const box = $("composer-error");
  box.textContent = text;
  box.hidden = !text;
}

function commandsHere() {
  if (!view.state) return [];
  const me = view.state.users.find((u) => u.name === view.user) || {roles: []};
  const here = channelHere();
  return view.state.commands.filter((c) => (view.channel === "dm" ? c.dm
    : !c.channels.length || c.channels.includes(here))
    && (!c.roles || !c.roles.length || c.roles.some((r) => me.roles.includes(r))));
}

function renderPicker() {
  const input = $("composer-input");
  const picker = $("command-picker");
  const text = input.value;
  if (view.command || !text.startsWith("/")) { picker.hidden = true; return; }
  const matches = commandsHere().filter((c) => shown(c).name.startsWith(text.slice(1).toLowerCase()));
  if (text.includes(" ") && !matches.length) { picker.hidden = true; return; }
  if (!matches.length) {
    picker.replaceChildren(el("div", {class: "empty"}, view.channel === "dm"
      ? "No command works in this DM." : `No command here starts with ${text}. Commands may belong to other channels.`));
  } else {
    view.pickerIndex = Math.min(view.pickerIndex, matches.length - 1);
    picker.replaceChildren(...matches.map((c, i) => el("button", {
      type: "button", class: i === view.pickerIndex ? "selected" : "", onclick: () => chooseCommand(c),
    }, "/" + shown(c).name, el("span", {class: "desc"}, shown(c).description))));
  }
  picker.hidden = false;
}

function chooseCommand(command) {
  view.command = command;
  $("command-picker").hidden = true;
  const box = $("command-options");
  const inputs = command.options.map((o) => {
    const id = "opt-" + o.name;
    const field = o.choices && o.choices.length
      ? el("select", {id, "data-option": o.name}, o.required ? null : el("option", {value: ""}, "(none)"),
        ...o.choices.map((c) => el("option", {value: c}, c)))
      : o.type === "boolean"
        ? el("select", {id, "data-option": o.name}, el("option", {value: ""}, "(none)"),
          el("option", {value: "true"}, "yes"), el("option", {value: "false"}, "no"))
        : el("input", {id, "data-option": o.name, type: ["integer", "number"].includes(o.type) ? "number" : "text",
          placeholder: o.description || o.name, required: o.required});
    return el("label", {for: id}, `${o.name}${o.required ? " *" : ""}`, field);
  });
  box.replaceChildren(el("span", {class: "cmd-name"}, "/" + command.name), ...inputs,
    el("button", {type: "button", class: "cancel", onclick: hideCommand}, "Cancel"));
  box.hidden = false;
  const input = $("composer-input");
  input.value = "/" + command.name;
  input.placeholder = "Press Enter to run the command";
  const first = box.querySelector("[data-option]");
  (first || input).focus();
}

function hideCommand() {
  view.command = null;
  $("command-options").hidden = true;
  $("command-picker").hidden = true;
}

async function runCommand(command) {
  const options = {};
  for (const field of $("command-options").querySelectorAll("[data-option]")) {
    if (field.value !== "") options[field.dataset.option] = field.value;
  }
  const result = await api("commands", {user: view.user, channel: view.channel, name: command.name, options});
  hideCommand();
  $("composer-input").value = "";
  handleResult(result);
}

function handleResult(result) {
  if (result && result.form) openForm(result.form);
  view.lastMessages = "";
  refreshMessages();
  refreshDesk();
}

async function send(event) {
  event.preventDefault();
  showError("");
  const input = $("composer-input");
  const text = input.value.trim();
  try {
    if (view.command) { await runCommand(view.command); return; }
    if (text.startsWith("/")) {
      const typed = text.slice(1).toLowerCase();
      const name = typed.split(/\s+/)[0];
      const command = commandsHere().filter((c) => typed === c.name || typed.startsWith(c.name + " "))
        .sort((a, b) => b.name.length - a.name.length)[0];  // "flexcord reload" is two words
      if (!command) throw new Error(`There is no /${name} command here. Type / to see what you can use.`);
      if (command.options.length) { chooseCommand(command); return; }
      await runCommand(command);
      return;
    }
    const chosen = $("composer-file");
    const files = await picked(chosen);
    if (!text && !files.length) return;
    input.value = "";
    chosen.value = "";
    showPicked();
    await api("messages", {user: view.user, channel: view.channel, text, files});
    view.lastMessages = "";
    await refreshMessages();
    refreshDesk();
  } catch (error) {
    showError(error.message);
  }
}

async function clickButton(messageId, buttonId) {
  showError("");
  try {
    handleResult(await api("buttons", {user: view.user, message: messageId, button: buttonId}));
  } catch (error) { showError(error.message); }
}

function showPicked() {
  const names = [...($("composer-file").files || [])].map((f) => f.name);
  $("composer-files").textContent = names.length ? "Attached: " + names.join(", ") : "";
  $("composer-files").hidden = !names.length;
}

function openForm(form) {
  view.form = form;
  $("form-title").textContent = form.title;
  $("form-fields").replaceChildren(...form.fields.map((f) => {
    const id = "field-" + f.name;
    const attrs = {id, name: f.name, required: f.required, maxlength: f.max_length || undefined,
      placeholder: f.placeholder || ""};
    const label = el("label", {for: id}, f.label, f.required ? el("span", {class: "req"}, " *") : null);
    if (f.type === "file") {
      return [label, el("input", {type: "file", id, name: f.name, required: f.required, multiple: f.max_files > 1})];
    }
    return [label, f.style === "paragraph" ? el("textarea", attrs) : el("input", Object.assign({type: "text"}, attrs))];
  }).flat());
  $("form-dialog").showModal();
}

async function submitForm(event) {
  event.preventDefault();
  const values = {};
  for (const field of $("form-fields").querySelectorAll("[name]")) {
    values[field.name] = field.type === "file" ? await picked(field) : field.value;
  }
  $("form-dialog").close();
  try {
    handleResult(await api("forms", {user: view.user, form: view.form.id, values}));
  } catch (error) { showError(error.message); }
}

// --- agent desk ------------------------------------------------------------------------------
function agentName() { return $("agent-name").value.trim() || "Agent"; }

function renderTasks(tasks) {
  const list = $("task-list");
  if (!tasks.length) {
    list.replaceChildren(el("li", {class: "empty"}, "No tasks waiting. A task appears when a player asks for a person: ",
      "DM the bot \"I want an agent\" on the left."));
    return;
  }
  list.replaceChildren(...tasks.map((t) => {
    const attrs = t.attributes || {};
    const details = ["queue", "priority", "player", "title"].filter((k) => attrs[k] !== undefined && attrs[k] !== "")
      .map((k) => `${k}: ${attrs[k]}`).join(" · ");
    const open = !["completed", "canceled", "closed", "wrapping"].includes(t.status);
    return el("li", {class: "task" + (view.task === t.sid ? " selected" : ""), "data-sid": t.sid},
      el("div", {class: "task-top"}, el("span", {class: "case-ref"}, t.case || t.sid),
        el("span", {class: "status " + t.status}, t.status)),
      el("div", {class: "attrs"}, details || t.sid, t.agent ? ` · with ${t.agent}` : ""),
      el("div", {class: "task-actions"},
        t.status === "pending" || t.status === "reserved"
          ? el("button", {type: "button", class: "primary", onclick: () => acceptTask(t.sid)}, "Accept") : null,
        el("button", {type: "button", onclick: () => openTask(t.sid)}, open ? "Open chat" : "Transcript")));
  }));
}

async function acceptTask(sid) {
  try {
    await api(`agent/tasks/${sid}/accept`, {agent: agentName()});
    openTask(sid);
  } catch (error) { alert(error.message); }
}

function openTask(sid) {
  view.task = sid;
  view.lastTaskMessages = "";
  $("task-chat").hidden = false;
  $("task-chat-title").textContent = "Chat " + sid;
  refreshDesk();
}

async function refreshTaskChat() {
  if (!view.task) return;
  let messages;
  try { messages = await api(`agent/tasks/${view.task}/messages`); } catch (e) { return; }
  const key = JSON.stringify(messages);
  if (key === view.lastTaskMessages) return;
  view.lastTaskMessages = key;
  const list = $("task-messages");
  list.replaceChildren(...(messages.length ? messages.map((m) => el("li", {class: m.from || ""},
    el("span", {class: "who"}, m.from === "bot" ? "flexcord (bot)" : m.author),
    m.text ? el("span", {class: "bubble"}, richText(m.text)) : null, filesView(m.files)))
    : [el("li", {class: "empty"}, "No messages yet. Say hello to the player.")]));
  list.scrollTop = list.scrollHeight;
}

async function sendAgentMessage(event) {
  event.preventDefault();
  const input = $("task-input");
  const text = input.value.trim();
  const chosen = $("task-file");
  const [file] = await picked(chosen);  // Flex takes one file a message
  if ((!text && !file) || !view.task) return;
  input.value = "";
  chosen.value = "";
  try {
    await api(`agent/tasks/${view.task}/messages`, {text, file, agent: agentName()});
    view.lastTaskMessages = "";
    refreshTaskChat();
  } catch (error) { alert(error.message); }
}

async function closeTask() {
  if (!view.task) return;
  try { await api(`agent/tasks/${view.task}/close`, {}); } catch (error) { alert(error.message); }
  refreshDesk();
}

async function completeTask() {
  if (!view.task) return;
  try { await api(`agent/tasks/${view.task}/complete`, {}); } catch (error) { alert(error.message); }
  view.task = null;
  $("task-chat").hidden = true;
  $("case-panel").hidden = true;
  refreshDesk();
}

// The case panel, as Flex UI 2's CRMContainer shows it: the task's signed case_url in a frame.
function showCasePanel() {
  const task = (view.tasks || []).find((t) => t.sid === view.task);
  const url = task && task.attributes && task.attributes.case_url;
  if (!url) { alert("This task has no case link."); return; }
  const frame = $("case-panel");
  const link = new URL(url, location.href);
  link.searchParams.set("agent", agentName());
  frame.src = link.pathname + link.search;  // the sandbox is flexcord's public URL
  frame.hidden = false;
}

function renderCases(cases) {
  const body = $("case-list");
  if (!cases.length) {
    body.replaceChildren(el("tr", {}, el("td", {colspan: 4, class: "empty"},
      "No cases yet. Try /bug in #bug-report, or DM the bot \"I want an agent\".")));
    return;
  }
  body.replaceChildren(...cases.map((c) => el("tr", {class: view.caseRef === c.ref ? "selected" : "",
    "data-ref": c.ref, onclick: () => { view.caseRef = c.ref; refreshDesk(); }},
  el("td", {}, c.ref), el("td", {}, c.title || ""), el("td", {}, c.user_name || c.player || ""),
  el("td", {}, el("span", {class: "status " + c.status}, c.status)))));
}

// One page of cases, and the ref the next page starts after (from the answer's Link header).
async function casesPage() {
  const after = view.casePages[view.casePages.length - 1];
  const response = await fetch(API + "cases" + (after ? "?after=" + encodeURIComponent(after) : ""));
  if (!response.ok) { view.casePages = []; return {cases: [], next: null}; }  // that case is gone
  const next = /[?&]after=([^&>]+)/.exec(response.headers.get("Link") || "");
  return {cases: await response.json(), next: next ? decodeURIComponent(next[1]) : null};
}

function renderCasePager() {
  $("cases-newer").disabled = !view.casePages.length;
  $("cases-older").disabled = !view.caseNext;
  $("cases-pager").hidden = !view.casePages.length && !view.caseNext;
}

function turnCasePage(older) {
  if (older && view.caseNext) view.casePages.push(view.caseNext);
  if (!older) view.casePages.pop();
  refreshDesk();
}

async function renderCaseDetail() {
  const box = $("case-detail");
  if (!view.caseRef) { box.hidden = true; return; }
  let c;
  try { c = await api("cases/" + encodeURIComponent(view.caseRef)); } catch (e) { box.hidden = true; return; }
  const fields = Object.entries(c.fields || {}).filter(([, v]) => v !== "" && v !== null);
  box.replaceChildren(el("h4", {}, `${c.ref} · ${c.title || ""}`),
    el("dl", {}, el("dt", {}, "Status"), el("dd", {}, c.status), el("dt", {}, "Player"), el("dd", {}, c.user_name || ""),
      c.rating ? [el("dt", {}, "Rating"), el("dd", {}, `${c.rating}/5`)] : null,
      c.where ? [el("dt", {}, "Where"), el("dd", {}, c.where)] : null,
      fields.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
    el("div", {class: "case-files"}, (c.files || []).length ? [el("h5", {}, "Files"), el("ul", {}, c.files.map((f) =>
      el("li", {}, `${f.name} · ${f.content_type} · ${f.size} bytes · from ${f.who}`)))] : null, filesView(c.files)),
    el("h5", {}, "History"),
    el("ul", {}, (c.history || []).map((h) => el("li", {}, `${timeOf(h.at)} ${h.text || h.status || h.event || ""}`))),
    el("h5", {}, "Transcript"),
    (c.transcript || []).length
      ? el("ul", {}, c.transcript.map((m) => el("li", {}, el("strong", {}, (m.author === "bot" ? "flexcord" : m.author) + ": "), richText(m.text))))
      : el("div", {class: "muted"}, "No messages recorded for this case."));
  box.hidden = false;
}

async function refreshDesk() {
  try {
    const [tasks, page] = await Promise.all([api("agent/tasks"), casesPage()]);
    view.tasks = tasks;
    view.caseNext = page.next;
    renderTasks(tasks);
    renderCases(page.cases);
    renderCasePager();
    const task = tasks.find((t) => t.sid === view.task);
    if (task) $("task-chat-title").textContent = `${task.case || task.sid} · ${task.status}`;
    const over = !task || ["wrapping", "completed", "canceled", "closed"].includes(task.status);
    $("task-close").disabled = over;
    $("task-complete").disabled = !task || task.status !== "wrapping";
    $("task-input").disabled = over || !task.agent;
    $("task-file").disabled = over || !task.agent;
    $("task-input").placeholder = !task ? "" : over ? "This chat is closed." : !task.agent
      ? "Accept the task to write to the player." : "Reply to the player";
  } catch (e) { /* the next poll tries again */ }
  refreshTaskChat();
  renderCaseDetail();
}

// --- wiring ----------------------------------------------------------------------------------
async function refreshState() {
  try { view.state = await api("state"); } catch (e) {
    $("reload-status").className = "reload failed";
    $("reload-status").textContent = "The sandbox is not answering. Is `flexcord sandbox` still running?";
    return;
  }
  renderStrip(view.state);
  renderUsers(view.state);
  renderChannels(view.state);
}

function wire() {
  $("user-select").addEventListener("change", (e) => {
    view.user = e.target.value;
    view.lastMessages = "";
    const found = threadInfo(view.channel);
    const here = view.channel !== "dm" && (found ? found.thread : channelInfo(view.channel));
    if (here && here.can_view && here.can_view[view.user] === false) view.channel = "general";
    hideCommand();
    renderUsers(view.state);
    renderChannels(view.state);
    refreshMessages();
  });
  $("dm-button").addEventListener("click", () => selectChannel("dm"));
  $("composer").addEventListener("submit", send);
  $("composer-file").addEventListener("change", showPicked);
  const input = $("composer-input");
  input.addEventListener("input", () => {
    if (view.command && input.value !== "/" + view.command.name) hideCommand();
    view.pickerIndex = 0;
    renderPicker();
  });
  input.addEventListener("keydown", (e) => {
    const picker = $("command-picker");
    if (picker.hidden) return;
    const buttons = picker.querySelectorAll("button");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      view.pickerIndex = (view.pickerIndex + (e.key === "ArrowDown" ? 1 : buttons.length - 1)) % Math.max(buttons.length, 1);
      renderPicker();
    } else if ((e.key === "Tab" || e.key === "Enter") && buttons.length) {
      e.preventDefault();
      buttons[view.pickerIndex].click();
    }
  });
  $("form-dialog-form").addEventListener("submit", submitForm);
  $("form-cancel").addEventListener("click", () => $("form-dialog").close());
  $("task-composer").addEventListener("submit", sendAgentMessage);
  $("task-close").addEventListener("click", closeTask);
  $("task-complete").addEventListener("click", completeTask);
  $("cases-older").addEventListener("click", () => turnCasePage(true));
  $("cases-newer").addEventListener("click", () => turnCasePage(false));
  $("task-case").addEventListener("click", showCasePanel);
  $("reload-button").addEventListener("click", async () => {
    try { await api("reload", {}); } catch (e) { /* shown by the strip */ }
    refreshState();
  });
}

async function start() {
  wire();
  await refreshState();
  await refreshMessages();
  refreshDesk();
  setInterval(refreshState, 2000);
  setInterval(refreshMessages, 1000);
  setInterval(refreshDesk, 1500);
}

start();

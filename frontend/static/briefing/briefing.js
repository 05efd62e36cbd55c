// The video briefing page (docs/protocol.md, "Media"): one peer connection to the forwarder, signalled
// over the meeting socket. The offer lists what this screen sends (camera, microphone) and how many
// videos and sounds it can receive (recvonly slots); the server fills the slots and says which site is
// in which slot in "layout" frames, so sites coming and going never need a new offer.
//
// Reconnection: a new socket (after a network cut or a server restart) is a new media session, so
// every "ready" makes a fresh peer connection and offer; a peer connection that fails is replaced too,
// and so is one still not connected ``CONNECT_WAIT_MS`` after its offer (an offer or answer lost with a
// socket that dropped in between, a server that restarted while answering): nothing waits forever.
//
// With the Janus backend (media.backend === "janus") the page has two peer connections: the one it sends
// on (it offers, the server relays Janus's answer) and the one it receives on, which Janus offers
// ("subscribe_offer", relayed by the server) and the page answers ("subscribe_answer"). The slots, the
// layout frames and everything drawn are the same; the page never talks to Janus itself.

import { $, el, readJSON, showBriefly } from "../frontend/dom.js";
import { MeetingSocket, socketUrl } from "../live/socket.js";

const config = readJSON("live-config");
const media = readJSON("briefing-config");
const strings = readJSON("live-strings");

function t(key, params = {}) {
  return (strings[key] ?? key).replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

const RESTART_AFTER_MS = 4000; // a peer connection "disconnected" this long is replaced
const GATHER_WAIT_MS = 2000;
// Long enough for a hundred sites joining together on a busy server (all connected in 2-5 s in
// bench/briefing.py), short enough that a lost offer costs a site seconds, not the meeting.
const CONNECT_WAIT_MS = 12000;
const PAGE_SIZE = Math.max(1, media.max_videos - 2);
const VIEW_EVERY_MS = 1500;
const JANUS = media.backend === "janus";

const state = {
  joined: false,
  publish: false,
  local: null, // MediaStream of this screen's camera and microphone
  micOn: true,
  cameraOn: true,
  pc: null, // the peer connection this screen sends on (and, without Janus, receives on)
  sub: null, // Janus only: the peer connection this screen receives on
  layout: null,
  streams: new Map(), // mid → MediaStream of what the server sends in that slot
  videos: new Map(), // mid → <video>, kept across renders so playback never restarts
  quality: {},
  page: 0,
  restartTimer: null,
  lastView: "",
  selfVideo: null,
  screen: null, // MediaStream of a shared screen: a second video this site sends
  offers: 0, // peer connections offered so far (one more after every reconnection)
  wantedView: [],
  viewTimer: null,
  viewSentAt: 0,
  online: new Set(), // sites with a meeting socket open (presence; the chair's and secretary's pages only)
  search: "",
  filter: "all",
  found: null, // the site the chair picked in the list: its tile is marked until another is picked
  rosterShown: "",
  maxKbps: null, // the server's cap on this site's camera: its uplink loses packets (media/adaptation.py)
};

// The chair's and secretary's list of every site the meeting expects (main site first, then by name).
const roster = media.roster || [];
const rosterNames = new Map(roster.map((row) => [row.site, row.name]));
const WEAK_LOSS = 0.05; // a site losing this share of its packets on the way in is marked as a weak link
const WEAK_RTT_MS = 400;

// The socket --------------------------------------------------------------------------------------

const socket = new MeetingSocket(socketUrl(config.meeting_id), {
  onReady: () => {
    if (state.joined) startPeer();
  },
  onStatus: (status) => showConnection(status),
  onFatal: (code) => showFatal(code),
  onState: (s) => renderHeader(s),
  onFrame: (frame) => {
    if (frame.type === "media") onMedia(frame);
  },
  onPresence: (frame) => {
    if (!frame.online) return; // a delegate's page gets a count only
    state.online = new Set(frame.online.map((row) => row.site_id).filter((site) => site != null));
    render();
  },
});
socket.connect();

function send(frame) {
  socket._send({ type: "media", ...frame });
}

function onMedia(frame) {
  switch (frame.event) {
    case "answer":
      if (state.pc) state.pc.setRemoteDescription({ type: "answer", sdp: frame.sdp }).catch(() => scheduleRestart(0));
      break;
    case "subscribe_offer":
      answerJanus(frame.sdp).catch(() => scheduleRestart(0));
      break;
    case "layout":
      state.layout = frame;
      render();
      break;
    case "speaker":
      if (state.layout) state.layout = { ...state.layout, speaker: frame.site };
      render();
      break;
    case "quality":
      state.quality = frame.sites || {};
      renderQuality();
      renderRoster();
      break;
    case "bitrate":
      state.maxKbps = frame.max_kbps ?? null;
      applyBitrate();
      break;
    case "replaced":
      toast(t("replaced"));
      break;
    case "closed":
      state.joined = false;
      stopPeer();
      setMediaStatus("media_closed");
      break;
    case "error":
      toast(frame.message || t("action_failed"));
      // "moved": the media worker of this session died; a new offer lands on a live one at once.
      if (["offer", "subscribe", "subscribe_answer"].includes(frame.action)) {
        scheduleRestart(frame.code === "moved" ? 0 : RESTART_AFTER_MS);
      }
      break;
    default:
      break;
  }
}

// The peer connection ----------------------------------------------------------------------------

function preferredCodecs(kind) {
  const all = (RTCRtpReceiver.getCapabilities(kind) || { codecs: [] }).codecs;
  if (kind === "audio") return all.filter((c) => c.mimeType.toLowerCase() === "audio/opus");
  const wanted = `video/${media.codec}`.toLowerCase();
  return all.filter((c) => {
    const mime = c.mimeType.toLowerCase();
    if (mime === "video/rtx") return true;
    if (mime !== wanted) return false;
    if (media.codec !== "H264") return true;
    const fmtp = c.sdpFmtpLine || "";
    return fmtp.includes("profile-level-id=42e01f") && fmtp.includes("packetization-mode=1");
  });
}

function pin(transceiver, kind) {
  if (typeof transceiver.setCodecPreferences !== "function") return;
  try {
    transceiver.setCodecPreferences(preferredCodecs(kind));
  } catch (err) {
    /* an older browser: the server refuses a wrong codec and says so */
  }
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_WAIT_MS);
  });
}

// The peer connections of this screen (one, or two with Janus).
function peers() {
  return [state.pc, state.sub].filter(Boolean);
}

function watchPeer(pc) {
  pc.addEventListener("connectionstatechange", () => {
    if (!peers().includes(pc)) return;
    if (pc.connectionState === "connected") {
      if (peers().every((p) => p.connectionState === "connected")) setMediaStatus("media_online");
    } else if (pc.connectionState === "failed") scheduleRestart(0);
    else if (pc.connectionState === "disconnected") {
      setMediaStatus("media_lost");
      scheduleRestart(RESTART_AFTER_MS);
    }
  });
}

function addSending(pc) {
  // The order matters to the server: microphone, camera, then (second video) the shared screen.
  const tracks = [...state.local.getAudioTracks(), ...state.local.getVideoTracks()];
  for (const track of tracks) pin(pc.addTransceiver(track, { direction: "sendonly", streams: [state.local] }), track.kind);
  if (state.screen) {
    for (const track of state.screen.getVideoTracks()) pin(pc.addTransceiver(track, { direction: "sendonly", streams: [state.screen] }), "video");
  }
}

function onTrack(ev) {
  state.streams.set(ev.transceiver.mid, new MediaStream([ev.track]));
  render();
}

// Janus: ask for what this screen receives (Janus's offer comes back as "subscribe_offer"), then send.
async function startJanus() {
  state.lastView = JSON.stringify(state.wantedView);
  state.offers += 1;
  send({ action: "subscribe", view: state.wantedView });
  scheduleRestart(CONNECT_WAIT_MS);
  if (!(state.publish && state.local)) return;
  const pc = new RTCPeerConnection({ iceServers: media.ice_servers || [] });
  state.pc = pc;
  addSending(pc);
  watchPeer(pc);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  if (pc !== state.pc) return;
  send({ action: "offer", sdp: pc.localDescription.sdp });
}

// Janus's offer for the receiving peer connection: the first one, or a renegotiation of the same connection
// (its slots keep their mids).
async function answerJanus(sdp) {
  if (!state.joined) return;
  let pc = state.sub;
  if (!pc) {
    pc = new RTCPeerConnection({ iceServers: media.ice_servers || [] });
    state.sub = pc;
    pc.addEventListener("track", onTrack);
    watchPeer(pc);
  }
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  if (pc !== state.sub) return;
  send({ action: "subscribe_answer", sdp: pc.localDescription.sdp });
}

async function startPeer() {
  clearTimeout(state.restartTimer);
  stopPeer();
  state.maxKbps = null; // a new session starts uncapped on the server too
  setMediaStatus("media_connecting");
  if (JANUS) {
    await startJanus();
    return;
  }
  const pc = new RTCPeerConnection({ iceServers: media.ice_servers || [] });
  state.pc = pc;
  if (state.publish && state.local) addSending(pc);
  for (let i = 0; i < media.max_videos; i += 1) pin(pc.addTransceiver("video", { direction: "recvonly" }), "video");
  for (let i = 0; i < media.max_audio; i += 1) pin(pc.addTransceiver("audio", { direction: "recvonly" }), "audio");
  pc.addEventListener("track", onTrack);
  watchPeer(pc);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc); // the offer carries every candidate: no trickling over a rate-limited socket
  if (pc !== state.pc) return;
  state.lastView = JSON.stringify(state.wantedView);
  state.offers += 1;
  send({ action: "offer", sdp: pc.localDescription.sdp, view: state.wantedView });
  scheduleRestart(CONNECT_WAIT_MS); // when it fires, a connection that is up is left alone
}

// The server measured loss on this site's uplink and asks for less (or lifts the cap). Only the video
// senders: audio is never capped. No renegotiation: the encoder adapts on its next frame.
async function applyBitrate() {
  if (!state.pc) return;
  for (const sender of state.pc.getSenders()) {
    if (!sender.track || sender.track.kind !== "video") continue;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    for (const encoding of params.encodings) {
      if (state.maxKbps) encoding.maxBitrate = state.maxKbps * 1000;
      else delete encoding.maxBitrate;
    }
    try {
      await sender.setParameters(params);
    } catch (err) {
      /* a sender being replaced: the next "bitrate" frame or offer applies it */
    }
  }
  renderControls();
}

// Every peer connection this screen needs is there and connected (with Janus: the receiving one too).
function mediaUp() {
  const all = peers();
  return all.length > 0 && (!JANUS || state.sub !== null) && all.every((pc) => pc.connectionState === "connected");
}

function scheduleRestart(delay) {
  clearTimeout(state.restartTimer);
  state.restartTimer = setTimeout(() => {
    if (!state.joined || !socket.ready) return;
    if (delay > 0 && mediaUp()) return; // it came back by itself
    startPeer();
  }, delay);
}

function stopPeer() {
  for (const pc of peers()) pc.close();
  state.pc = null;
  state.sub = null;
  state.streams.clear();
  for (const video of state.videos.values()) video.srcObject = null;
  state.videos.clear();
}

async function openDevices(audioId = null, videoId = null) {
  const constraints = {
    audio: audioId ? { deviceId: { exact: audioId } } : true,
    video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 30 }, ...(videoId ? { deviceId: { exact: videoId } } : {}) },
  };
  return navigator.mediaDevices.getUserMedia(constraints);
}

async function join() {
  state.publish = $("publish").checked;
  if (state.publish) {
    try {
      state.local = await openDevices();
    } catch (err) {
      toast(t("no_devices"));
      state.publish = false;
    }
  }
  state.joined = true;
  $("join-panel").hidden = true;
  $("controls").hidden = false;
  renderControls();
  await listDevices();
  if (socket.ready) await startPeer();
}

// Own camera and microphone ----------------------------------------------------------------------

function localTrack(kind) {
  return state.local ? state.local.getTracks().find((tr) => tr.kind === kind) : null;
}

function renderControls() {
  const mic = $("toggle-mic");
  const cam = $("toggle-camera");
  mic.textContent = state.micOn ? t("mic_off") : t("mic_on");
  mic.setAttribute("aria-pressed", state.micOn ? "false" : "true");
  cam.textContent = state.cameraOn ? t("camera_off") : t("camera_on");
  cam.setAttribute("aria-pressed", state.cameraOn ? "false" : "true");
  mic.disabled = cam.disabled = !state.publish;
  const share = $("toggle-screen");
  share.textContent = state.screen ? t("stop_screen") : t("share_screen");
  share.setAttribute("aria-pressed", state.screen ? "true" : "false");
  share.disabled = !state.publish || !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  const rec = $("toggle-recording");
  if (rec) rec.textContent = state.layout && state.layout.recording ? t("stop_recording") : t("start_recording");
  $("recording").hidden = !(state.layout && state.layout.recording);
  // Tell a commune on a weak link why it sees fewer pictures, or sends a softer one.
  const you = state.layout ? state.layout.you || {} : {};
  const weak = $("weak-link");
  weak.hidden = !(you.reduced || you.cap_kbps);
  weak.textContent = you.reduced ? t("weak_down") : t("weak_up");
}

async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, select] of [["audioinput", $("mic-select")], ["videoinput", $("camera-select")]]) {
    const current = localTrack(kind === "audioinput" ? "audio" : "video");
    const currentId = current ? current.getSettings().deviceId : "";
    select.replaceChildren(
      ...devices
        .filter((d) => d.kind === kind)
        .map((d, i) => el("option", { value: d.deviceId, selected: d.deviceId === currentId }, d.label || `${kind} ${i + 1}`)),
    );
    select.disabled = !state.publish;
  }
}

async function switchDevice(kind, deviceId) {
  if (!state.publish || !state.local) return;
  const fresh = await navigator.mediaDevices.getUserMedia(
    kind === "audio" ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } },
  );
  const track = fresh.getTracks()[0];
  const old = localTrack(kind);
  track.enabled = kind === "audio" ? state.micOn : state.cameraOn;
  if (state.pc) {
    const sender = state.pc.getSenders().find((s) => s.track && s.track.kind === kind);
    if (sender) await sender.replaceTrack(track); // no new offer: the slot and codec stay
  }
  if (old) {
    state.local.removeTrack(old);
    old.stop();
  }
  state.local.addTrack(track);
  render();
}

// A shared screen is a second video: a new offer (the server never adds m-lines by itself).
async function toggleScreen() {
  if (state.screen) {
    for (const track of state.screen.getTracks()) track.stop();
    state.screen = null;
  } else {
    try {
      state.screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (err) {
      return;
    }
    state.screen.getVideoTracks()[0].addEventListener("ended", () => {
      if (state.screen) toggleScreen();
    });
  }
  renderControls();
  if (state.joined && socket.ready) await startPeer();
}

// Drawing ----------------------------------------------------------------------------------------

function siteName(site) {
  const row = state.layout && state.layout.sites.find((s) => s.site === site);
  return row && row.name ? row.name : rosterNames.get(site) || `#${site}`;
}

// Where a site stands, as the chair needs to know it: in the video (its link good or weak), connected to
// the meeting but not in the video, or not connected at all.
function siteState(site) {
  if (state.layout && state.layout.sites.some((row) => row.site === site)) {
    const q = state.quality[String(site)];
    // Janus reports no shares and no round trip, only that packets were lost ("weak").
    const weak = q && (q.weak || (q.loss_up != null && q.loss_up >= WEAK_LOSS) || (q.rtt_ms != null && q.rtt_ms >= WEAK_RTT_MS));
    return weak ? "weak" : "video";
  }
  return state.online.has(site) ? "online" : "offline";
}

// Search without diacritics: "dong hy" finds "Xã Đồng Hỷ".
const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();

function rosterSites() {
  const sites = roster.map((row) => row.site);
  const listed = new Set(sites);
  for (const row of state.layout ? state.layout.sites : []) if (!listed.has(row.site)) sites.push(row.site);
  return sites;
}

function matches(site) {
  const st = siteState(site);
  if (state.filter === "offline" && st !== "offline") return false;
  if (state.filter === "online" && st === "offline") return false;
  if (state.filter === "weak" && st !== "weak") return false;
  return !state.search || fold(siteName(site)).includes(state.search);
}

// A slot's <video>: made once and kept, so playback never restarts; it shows what the slot receives now.
function slotVideo(slot) {
  let video = state.videos.get(slot.mid);
  if (!video) {
    video = el("video", { autoplay: true, playsinline: true, muted: true, dataset: { mid: slot.mid } });
    video.muted = true;
    state.videos.set(slot.mid, video);
  }
  if (video.srcObject !== state.streams.get(slot.mid)) video.srcObject = state.streams.get(slot.mid);
  return video;
}

function videoFor(site) {
  if (!state.layout) return null;
  const slot = state.layout.video.find((s) => s.site === site && s.label !== "screen");
  if (!slot || !state.streams.has(slot.mid)) return null;
  const video = slotVideo(slot);
  video.dataset.site = site;
  return video;
}

function tile(site, { large = false } = {}) {
  const layout = state.layout;
  const video = videoFor(site);
  const muted = layout.muted.includes(site);
  const st = siteState(site);
  const inBriefing = st === "video" || st === "weak";
  const classes = ["tile"];
  if (layout.speaker === site) classes.push("is-speaking");
  if (layout.spotlight === site) classes.push("is-spotlight");
  if (state.found === site) classes.push("is-found");
  const actions = media.controls && inBriefing
    ? el(
        "div",
        { class: "tile__actions" },
        el("button", { type: "button", class: "btn btn--small", onclick: () => send({ action: "mute", site, muted: !muted }) },
          muted ? t("unmute_site") : t("mute_site")),
        el("button", { type: "button", class: "btn btn--small", onclick: () => send({ action: "spotlight", site: layout.spotlight === site ? null : site }) },
          layout.spotlight === site ? t("end_spotlight") : t("spotlight")),
      )
    : null;
  return el(
    "figure",
    { class: classes.join(" "), dataset: { site, large: large ? "yes" : "no", state: st, testid: `tile-${site}` } },
    video || el("p", { class: "tile__placeholder" }, !inBriefing ? t(`state_${st}`) : large ? t("no_video") : t("not_shown")),
    el(
      "figcaption",
      { class: "tile__label" },
      el("span", { class: "tile__name" }, siteName(site)),
      site === layout.main_site ? el("span", { class: "tile__badge" }, t("main_site")) : null,
      site === layout.chair_site ? el("span", { class: "tile__badge" }, t("chair_here")) : null,
      layout.speaker === site ? el("span", { class: "tile__badge tile__badge--speaking" }, t("speaking")) : null,
      muted ? el("span", { class: "tile__badge tile__badge--muted" }, t("muted_by_chair")) : null,
      media.controls && st === "weak" ? el("span", { class: "tile__badge tile__badge--state" }, el("span", { class: "dot dot--weak" }), t("state_weak")) : null,
      media.controls && inBriefing ? el("span", { class: "tile__quality", dataset: { quality: site } }, qualityText(site)) : null,
    ),
    actions,
  );
}

function screenTile(slot) {
  const video = slotVideo(slot);
  return el("figure", { class: "tile tile--screen", dataset: { site: slot.site } }, video,
    el("figcaption", { class: "tile__label" }, el("span", { class: "tile__name" }, `${t("shared_screen")} · ${siteName(slot.site)}`)));
}

function selfTile() {
  if (!state.selfVideo) {
    state.selfVideo = el("video", { autoplay: true, playsinline: true, muted: true });
    state.selfVideo.muted = true;
  }
  const video = state.selfVideo;
  if (video.srcObject !== state.local) video.srcObject = state.local;
  return el(
    "figure",
    { class: "tile tile--self", dataset: { site: media.site } },
    state.local ? video : el("p", { class: "tile__placeholder" }, t("no_video")),
    el("figcaption", { class: "tile__label" }, el("span", { class: "tile__name" }, `${t("you")} · ${siteName(media.site)}`),
      state.layout && state.layout.muted.includes(media.site) ? el("span", { class: "tile__badge tile__badge--muted" }, t("muted_by_chair")) : null),
  );
}

// The sites the grid pages through, after the stage's: for the chair and the secretary every site the
// meeting expects that the list's search and filter keep (so searching the list also finds the tile);
// for everyone else the sites in the briefing.
function gridSites(stageSites) {
  const mine = media.site;
  const all = roster.length ? rosterSites().filter(matches) : state.layout.sites.map((row) => row.site);
  return all.filter((s) => s !== mine && !stageSites.includes(s));
}

function stageOf(layout) {
  return [...new Set([layout.chair_site, layout.spotlight, layout.speaker])]
    .filter((s) => s != null && s !== media.site && layout.sites.some((row) => row.site === s))
    .slice(0, 2);
}

function render() {
  renderControls();
  renderRoster();
  const layout = state.layout;
  if (!layout) return;
  // Everyone sees the chair's site and the speaker (or the spotlighted site) large.
  const stageSites = stageOf(layout);
  const screens = layout.video.filter((slot) => slot.label === "screen" && state.streams.has(slot.mid));
  $("stage").replaceChildren(...screens.map(screenTile), ...stageSites.map((s) => tile(s, { large: true })));

  const others = gridSites(stageSites);
  const pages = Math.max(1, Math.ceil(others.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const shown = others.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
  $("pager").hidden = pages <= 1;
  $("page-label").textContent = t("page", { page: state.page + 1, pages });
  Object.assign($("page-label").dataset, { page: state.page + 1, pages });
  $("site-grid").replaceChildren(...(state.joined && state.publish ? [selfTile()] : []), ...shown.map((s) => tile(s)));

  // A <video> moved to another place in the page is paused by the browser: start it again.
  for (const video of [...state.videos.values(), state.selfVideo]) {
    if (video && video.isConnected && video.paused && video.srcObject) video.play().catch(() => {});
  }

  // Tell the server which sites this page shows, so they get the free slots. At most one "view" per
  // VIEW_EVERY_MS: a burst of sites joining must not spend the socket's frame allowance (60 per 10 s).
  // Only sites in the briefing have media to receive; a page of not-connected communes asks for none.
  state.wantedView = shown.filter((s) => layout.sites.some((row) => row.site === s));
  if (JSON.stringify(shown) !== state.lastView && peers().length && !state.viewTimer) {
    const due = Math.max(0, state.viewSentAt + VIEW_EVERY_MS - Date.now());
    state.viewTimer = setTimeout(sendView, due);
  }

  // Sounds: one <audio> per audio slot; the server already left out muted sites and this site.
  const sounds = $("sounds");
  for (const slot of layout.audio) {
    let audio = sounds.querySelector(`audio[data-mid="${slot.mid}"]`);
    if (!audio) {
      audio = el("audio", { autoplay: true, dataset: { mid: slot.mid } });
      sounds.append(audio);
    }
    const stream = state.streams.get(slot.mid) || null;
    if (audio.srcObject !== stream) audio.srcObject = stream;
  }
}

// The list of every site, its state and the search ----------------------------------------------------

function renderRoster() {
  const list = $("roster-list");
  if (!list || !roster.length) return;
  const sites = rosterSites();
  const states = new Map(sites.map((s) => [s, siteState(s)]));
  const count = (pred) => sites.filter((s) => pred(states.get(s))).length;
  const summary = t("roster_summary", {
    video: count((st) => st === "video" || st === "weak"),
    online: count((st) => st !== "offline"),
    total: sites.length,
  });
  const shown = sites.filter(matches);
  // Rebuilt only when something the list shows changed: quality frames come every 2 s and a rebuild
  // would take the keyboard focus away from a row.
  const signature = JSON.stringify([summary, shown.map((s) => [s, states.get(s)]), state.found]);
  if (signature === state.rosterShown) return;
  state.rosterShown = signature;
  $("roster-summary").textContent = summary;
  list.replaceChildren(
    ...shown.map((site) => {
      const st = states.get(site);
      return el("li", { dataset: { site, state: st, testid: `roster-${site}` } },
        el("button", { type: "button", class: state.found === site ? "is-found" : "", title: t("show_site", { name: siteName(site) }),
          onclick: () => showSite(site) },
          el("span", { class: `dot dot--${st}`, "aria-hidden": "true" }),
          el("span", { class: "roster__name" }, siteName(site)),
          el("span", { class: "roster__state" }, t(`state_${st}`))));
    }),
  );
  if (!shown.length) list.append(el("li", { class: "roster__empty" }, t("roster_empty")));
}

// The chair picked a site in the list: turn the grid to the page that holds it.
function showSite(site) {
  state.found = site;
  if (state.layout) {
    const index = gridSites(stageOf(state.layout)).indexOf(site);
    if (index >= 0) state.page = Math.floor(index / PAGE_SIZE);
  }
  render();
  const node = document.querySelector(`[data-testid="tile-${site}"]`);
  if (node) node.scrollIntoView({ block: "nearest" });
}

function onRosterFilter() {
  state.search = fold($("roster-search").value.trim());
  state.filter = $("roster-filter").value;
  state.page = 0;
  render();
}

function sendView() {
  state.viewTimer = null;
  const view = JSON.stringify(state.wantedView);
  if (view === state.lastView || !peers().length) return;
  state.lastView = view;
  state.viewSentAt = Date.now();
  send({ action: "view", sites: state.wantedView });
}

function qualityText(site) {
  const q = state.quality[String(site)];
  if (!q) return t("quality_unknown");
  let text;
  // Janus reports lost packets only (no bitrate, no round trip without its admin API).
  if (q.kbps == null && q.lost_up != null) text = t("quality_janus", { up: q.lost_up, down: q.lost_down || 0 });
  else if (q.kbps == null) return t("quality_unknown");
  else {
    const loss = q.loss_up == null ? "–" : `${(100 * q.loss_up).toFixed(1)} %`;
    text = t("quality", { kbps: q.kbps, loss, rtt: q.rtt_ms == null ? "–" : q.rtt_ms });
  }
  // What the server did about a weak link: a cap on the site's camera, fewer videos sent to it.
  if (q.cap_kbps) text += ` · ${t("quality_cap", { kbps: q.cap_kbps })}`;
  if (q.videos != null && q.videos < media.max_videos) text += ` · ${t("quality_videos", { videos: q.videos })}`;
  // Frames the server could not forward and pictures that stood still: which site's uplink is bad.
  if (!q.frames_lost && !q.freezes) return text;
  return `${text} · ${t("quality_loss", { frames: q.frames_lost || 0, freezes: q.freezes || 0 })}`;
}

function renderQuality() {
  for (const node of document.querySelectorAll("[data-quality]")) node.textContent = qualityText(Number(node.dataset.quality));
}

function renderHeader(s) {
  if (!s.meeting) return;
  const chip = $("meeting-status");
  chip.dataset.status = s.meeting.status;
  chip.textContent = t(`status_${s.meeting.status}`);
}

function setMediaStatus(key) {
  const node = $("media-status");
  node.textContent = t(key);
  node.dataset.state = key;
}

function showConnection(status) {
  const banner = $("connection-banner");
  document.body.dataset.connection = status;
  banner.hidden = status === "online" || status === "closed";
  if (!banner.hidden) banner.textContent = status === "reconnecting" ? t("reconnecting") : t("connecting");
}

function showFatal(code) {
  const banner = $("fatal-banner");
  banner.replaceChildren(t(`closed_${code}`));
  if (code === 4401 && config.login_url) banner.append(" ", el("a", { href: config.login_url }, t("sign_in")));
  banner.hidden = false;
  state.joined = false;
  stopPeer();
}

function toast(message) {
  showBriefly($("toast"), message);
}

// Wiring -----------------------------------------------------------------------------------------

$("join").addEventListener("click", () => join());
$("toggle-mic").addEventListener("click", () => {
  state.micOn = !state.micOn;
  const track = localTrack("audio");
  if (track) track.enabled = state.micOn; // sends silence: the server sees the level drop
  renderControls();
});
$("toggle-camera").addEventListener("click", () => {
  state.cameraOn = !state.cameraOn;
  const track = localTrack("video");
  if (track) track.enabled = state.cameraOn;
  renderControls();
});
$("toggle-screen").addEventListener("click", () => toggleScreen());
$("mic-select").addEventListener("change", (ev) => switchDevice("audio", ev.target.value));
$("camera-select").addEventListener("change", (ev) => switchDevice("video", ev.target.value));
$("page-prev").addEventListener("click", () => {
  state.page = Math.max(0, state.page - 1);
  render();
});
$("page-next").addEventListener("click", () => {
  state.page += 1;
  render();
});
$("roster-search")?.addEventListener("input", onRosterFilter);
$("roster-filter")?.addEventListener("change", onRosterFilter);
renderRoster(); // the chair sees who is missing before joining the video
$("toggle-recording")?.addEventListener("click", () => send({ action: "record", on: !(state.layout && state.layout.recording) }));

// For the browser tests and for support staff: what this screen receives, from getStats.
window.briefing = {
  layout: () => state.layout,
  siteState: (site) => siteState(site),
  offers: () => state.offers,
  async stats() {
    const pc = state.sub || state.pc; // what this screen receives
    if (!pc) return [];
    const report = await pc.getStats();
    const rows = [];
    const mids = new Map(pc.getTransceivers().map((tr) => [tr.receiver.track && tr.receiver.track.id, tr.mid]));
    report.forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      const mid = s.mid || mids.get(s.trackIdentifier);
      const slot = state.layout && [...state.layout.video, ...state.layout.audio].find((x) => x.mid === mid);
      rows.push({
        mid, kind: s.kind, site: slot ? slot.site : null, framesDecoded: s.framesDecoded || 0,
        packetsLost: s.packetsLost || 0, packetsReceived: s.packetsReceived || 0,
        mimeType: s.codecId && report.get(s.codecId) ? report.get(s.codecId).mimeType : null,
      });
    });
    return rows;
  },
};

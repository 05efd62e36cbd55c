// The meeting socket (docs/protocol.md): hello → snapshot or replay → ready → live events.
//
// The socket keeps the state up to date by seq, resyncs on a gap, reconnects with back-off, and
// delivers commands at least once: a command keeps its id until the server answers it and is sent
// again, with the same id, after a reconnect (the server answers a repeated id without acting twice).

import { apply, emptyState, normalize } from "./state.js";

const FATAL_CODES = new Set([4401, 4403, 4404]);
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const RATE_LIMIT_WAIT_MS = 10000;
const PING_EVERY_MS = 25000;
const PONG_WAIT_MS = 10000;

// Command ids must not repeat across page loads of the same person (the server remembers them),
// so each page picks a random prefix. crypto.getRandomValues works on plain http too.
function randomPrefix() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class CommandError extends Error {
  constructor(error) {
    super((error && error.message) || "error");
    this.code = (error && error.code) || "error";
  }
}

export class MeetingSocket {
  // url: ws[s]://host/ws/meetings/<id>/ (see socketUrl). Listeners:
  //   onState(state, frame)   after a snapshot or an event changed the state
  //   onStatus(status)        "connecting" | "online" | "reconnecting" | "closed"
  //   onFatal(code)           4401 / 4403 / 4404: the socket will not try again
  //   onPresence(frame)       the coalesced presence frame
  //   onReady(you)            who the server says we are: {user_id, participant_id, audience, roles}
  constructor(url, listeners = {}) {
    this.url = url;
    this.listeners = listeners;
    this.state = emptyState();
    this.seq = 0;
    this.clockOffset = 0;
    this.status = "connecting";
    this.you = null;
    this.ready = false;
    this.everReady = false;
    this.pending = new Map();
    this.prefix = randomPrefix();
    this.counter = 0;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.behindTimer = null;
    this._onOnline = () => this._retryNow();
    window.addEventListener("online", this._onOnline);
  }

  connect() {
    this.stopped = false;
    this._open();
    return this;
  }

  close() {
    this.stopped = true;
    window.removeEventListener("online", this._onOnline);
    clearTimeout(this.retryTimer);
    this._stopPing();
    if (this.ws) this.ws.close(1000);
    this._setStatus("closed");
  }

  // The server's clock now, in ms since the epoch.
  now() {
    return Date.now() + this.clockOffset;
  }

  // Send a command; resolves with the reply ({ok: true, seq}) or rejects with a CommandError.
  command(name, args = {}) {
    this.counter += 1;
    const id = `c-${this.prefix}-${this.counter}`;
    const frame = { type: "command", id, name, args };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject });
      if (this.ready) this._send(frame);
    });
  }

  // Internals ---------------------------------------------------------------------------------

  _open() {
    clearTimeout(this.retryTimer);
    this.ready = false;
    this._setStatus(this.everReady ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this._send({ type: "hello", last_seq: this.seq });
      this._startPing();
    });
    ws.addEventListener("message", (msg) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = JSON.parse(msg.data);
      } catch (err) {
        return;
      }
      this._handle(frame);
    });
    ws.addEventListener("close", (ev) => {
      if (ws !== this.ws) return;
      this._onClose(ev.code);
    });
  }

  _handle(frame) {
    switch (frame.type) {
      case "snapshot":
        this.state = normalize(frame.state);
        this.seq = frame.seq;
        this._setClock(frame.server_time);
        this._emitState(frame);
        break;
      case "event":
        this._onEvent(frame);
        break;
      case "ready":
        this._onReady(frame);
        break;
      case "reply":
        this._onReply(frame);
        break;
      case "pong":
        clearTimeout(this.pongTimer);
        this._setClock(frame.server_time);
        break;
      case "presence":
        if (this.listeners.onPresence) this.listeners.onPresence(frame);
        if (this.ready && frame.seq > this.seq) this._checkBehind(frame.seq);
        break;
      case "error":
        if (frame.error && frame.error.code === "rate_limited" && this.listeners.onError) {
          this.listeners.onError(new CommandError(frame.error));
        }
        break;
      default:
        // Frames of later features that are not events (e.g. "vote.tally"): not state, not replayed.
        if (this.listeners.onFrame) this.listeners.onFrame(frame);
        break;
    }
  }

  _onEvent(frame) {
    if (frame.seq <= this.seq) return;
    if (frame.seq !== this.seq + 1) {
      this._resync();
      return;
    }
    this.state = apply(this.state, frame);
    this.seq = frame.seq;
    this._emitState(frame);
  }

  _onReady(frame) {
    if (frame.seq > this.seq) {
      // The server is ahead of what it sent us: something was lost on the way.
      this._resync();
      return;
    }
    const wasReady = this.ready;
    this.ready = true;
    this.everReady = true;
    this.attempt = 0;
    this._setClock(frame.server_time);
    if (frame.you) {
      this.you = frame.you;
      if (this.listeners.onReady) this.listeners.onReady(frame.you);
    }
    this._setStatus("online");
    // A new connection: send again what has not been answered, with the same ids.
    if (!wasReady) for (const { frame: command } of this.pending.values()) this._send(command);
  }

  _onReply(frame) {
    const entry = this.pending.get(frame.id);
    if (!entry) return;
    this.pending.delete(frame.id);
    if (frame.ok) entry.resolve(frame);
    else entry.reject(new CommandError(frame.error));
  }

  // Presence says the meeting is at a later seq. The event may still be on its way, so look
  // again a little later; if it never came, the last event was lost: resync.
  _checkBehind(seq) {
    clearTimeout(this.behindTimer);
    this.behindTimer = setTimeout(() => {
      if (this.ready && this.seq < seq) this._resync();
    }, 3000);
  }

  // We missed events: start again from our last seq on a fresh connection.
  _resync() {
    this._reopen(0);
  }

  _reopen(delay) {
    const ws = this.ws;
    this.ws = null;
    this._stopPing();
    if (ws) {
      try {
        ws.close(4000);
      } catch (err) {
        /* already closing */
      }
    }
    this.ready = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._open(), delay);
  }

  _onClose(code) {
    this.ws = null;
    this.ready = false;
    this._stopPing();
    if (this.stopped) return;
    if (FATAL_CODES.has(code)) {
      this.stopped = true;
      this._setStatus("closed");
      const error = new CommandError({ code: `closed_${code}` });
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
      if (this.listeners.onFatal) this.listeners.onFatal(code);
      return;
    }
    this._setStatus(this.everReady ? "reconnecting" : "connecting");
    this._scheduleRetry(code === 4429 ? RATE_LIMIT_WAIT_MS : null);
  }

  _scheduleRetry(fixedDelay = null) {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    // Jitter spreads the reconnects of a whole hall (or 100 remote sites) after a server restart.
    const delay = fixedDelay ?? Math.floor(base * (0.5 + Math.random() * 0.8));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._open(), delay);
  }

  _retryNow() {
    if (this.stopped || this.ready) return;
    this.attempt = 0;
    if (!this.ws) this._open();
  }

  _startPing() {
    this._stopPing();
    this.pingTimer = setInterval(() => {
      this._send({ type: "ping" });
      clearTimeout(this.pongTimer);
      // No answer in time: the connection is dead even if the browser has not noticed yet.
      this.pongTimer = setTimeout(() => this._reopen(0), PONG_WAIT_MS);
    }, PING_EVERY_MS);
  }

  _stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  _send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  _setClock(serverTime) {
    const t = Date.parse(serverTime || "");
    if (!Number.isNaN(t)) this.clockOffset = t - Date.now();
  }

  _setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    if (this.listeners.onStatus) this.listeners.onStatus(status);
  }

  _emitState(frame) {
    if (this.listeners.onState) this.listeners.onState(this.state, frame);
  }
}

export function socketUrl(meetingId) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/ws/meetings/${meetingId}/`;
}

// The record's pages (minutes, notice, a meeting's tasks, a task) follow the meeting socket: when one of
// the events named on the page arrives (minutes.changed, notice.changed, record.signed, task.changed;
// docs/protocol.md, "After the meeting"), the page reloads to show the new state, unless something has
// been typed into one of its forms: then it says the page is out of date and leaves the reload to the
// person. The events carry no text; the reload reads the page through the usual permission checks.

import { MeetingSocket, socketUrl } from "../live/socket.js";

const root = document.querySelector("[data-live-meeting]");
if (root) {
  const kinds = new Set((root.dataset.liveEvents || "").split(" ").filter(Boolean));
  const taskId = root.dataset.liveTask ? Number(root.dataset.liveTask) : null;
  let typed = false;
  document.addEventListener("input", () => {
    typed = true;
  });

  const concerns = (frame) => {
    if (!frame || frame.type !== "event" || !kinds.has(frame.event)) return false;
    return taskId === null || frame.event !== "task.changed" || (frame.data && frame.data.task_id === taskId);
  };

  const socket = new MeetingSocket(socketUrl(root.dataset.liveMeeting), {
    onReady() {
      root.dataset.liveReady = "true"; // following from here on (tests wait for it)
    },
    onState(_state, frame) {
      if (!concerns(frame)) return;
      if (!typed) {
        socket.close();
        window.location.reload();
        return;
      }
      const note = document.getElementById("live-stale");
      if (note) note.hidden = false;
    },
  });
  socket.connect();
}

// A video's processing followed live (upload page): queued → encoding % → playable → ready, or
// the failure's reason, by polling GET /api/v1/videos/{id}.
import { api } from "./api.js";

const POLL_MS = 1000;
const STEPS = ["uploaded", "queued", "encoding", "playable", "ready"];

// The status of each step for this state of the video: done, current or todo.
export function stepStatuses(video) {
  const ready = video.state === "ready";
  const started = video.progress > 0 || video.playable || ready;
  const waiting = video.state === "uploading" || video.state === "processing";
  return {
    uploaded: video.state === "uploading" ? "current" : "done",
    queued: started ? "done" : video.state === "processing" ? "current" : "todo",
    encoding: ready ? "done" : started && waiting ? "current" : "todo",
    playable: video.playable || ready ? "done" : "todo",
    ready: ready ? "done" : "todo",
  };
}

export function headline(video) {
  if (video.state === "failed") return "Processing failed.";
  if (video.state === "ready") return "Ready: every quality is done.";
  if (video.state === "uploading") return "Finishing the upload…";
  if (video.playable) return `Playable now; still encoding the other qualities (${video.progress} %).`;
  if (video.progress > 0) return `Encoding: ${video.progress} %.`;
  return "Queued: waiting for a transcoder.";
}

class ProcessingView {
  constructor(root, videoId) {
    this.root = root;
    this.videoId = videoId;
    const q = (selector) => root.querySelector(selector);
    this.ui = {
      progress: q("[data-processing-progress]"),
      state: q("[data-processing-state]"),
      percent: q("[data-encoding-percent]"),
      failed: q("[data-failed]"),
      reason: q("[data-failure-reason]"),
      watch: q("[data-watch]"),
      edit: q("[data-edit]"),
    };
    const id = encodeURIComponent(videoId);
    this.ui.watch.href = `/watch/${id}`;
    this.ui.edit.href = `/videos/${id}/edit`;
  }

  render(video) {
    const statuses = stepStatuses(video);
    if (video.state === "failed") {
      // The first step not done is where it stopped.
      const stopped = STEPS.find((step) => statuses[step] !== "done");
      if (stopped) statuses[stopped] = "failed";
    }
    for (const step of STEPS) {
      this.root.querySelector(`[data-step="${step}"]`).dataset.status = statuses[step];
    }
    this.root.dataset.state = video.state;
    this.ui.percent.textContent = statuses.encoding === "current" ? `${video.progress} %` : "";
    this.ui.progress.value = video.progress;
    this.ui.progress.hidden = video.state === "failed";
    this.ui.state.textContent = headline(video);
    this.ui.failed.hidden = video.state !== "failed";
    this.ui.reason.textContent = video.failure_reason || "The server gave no reason.";
    // The link appears as soon as the first clips can be played, not only once ready.
    this.ui.watch.hidden = !(video.playable || video.state === "ready");
  }

  async poll() {
    let video = null;
    try {
      video = await api(`/api/v1/videos/${encodeURIComponent(this.videoId)}`);
      this.render(video);
    } catch (error) {
      if (error.status === 404) {
        this.ui.state.textContent = "This video was deleted.";
        return;
      }
      // Otherwise a blip (server restarting, network): try again on the next tick.
    }
    if (!video || video.state === "uploading" || video.state === "processing") {
      window.setTimeout(() => this.poll(), POLL_MS);
    }
  }
}

export function followProcessing(root, videoId) {
  root.hidden = false;
  new ProcessingView(root, videoId).poll();
}

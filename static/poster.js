// Prepares a chosen poster for sending: in a module worker (poster-worker.js) so that decoding a huge image never
// freezes the page, or in place where no worker can draw. Keeps only the worker and its jobs.

let worker = null; // null: not started yet; false: no module worker can run here
const workerJobs = new Map(); // job id -> {resolve, reject}
let nextJobId = 0;
const WORKER_UNAVAILABLE = Symbol("no module worker can run here");

export function readAsDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function startWorker(workerUrl) {
  worker = new Worker(workerUrl, { type: "module" });
  worker.addEventListener("message", ({ data }) => {
    const job = workerJobs.get(data.id);
    workerJobs.delete(data.id);
    if (job && data.prepared) job.resolve(data.prepared);
    else if (job) job.reject(new Error(data.failure));
  });
  worker.addEventListener("error", (event) => { // no module workers here: prepare in place from now on
    event.preventDefault();
    stopPreparing(WORKER_UNAVAILABLE);
    worker = false;
  });
}

/** Stops whatever is being prepared: its promise is rejected with reason. */
export function stopPreparing(reason) {
  if (worker) worker.terminate();
  worker = null;
  for (const job of workerJobs.values()) job.reject(reason);
  workerJobs.clear();
}

async function prepareInPlace(file, workerUrl) {
  const { preparePoster } = await import(workerUrl);
  return preparePoster(file);
}

/** The poster to send for file ({blob, width, height, originalWidth, originalHeight}), prepared in a module worker
 *  (workerUrl: poster-worker.js as index.html names it, so a release's URL carries its version), or in place where
 *  no worker can draw. */
export function prepare(file, workerUrl) {
  const workerCanDraw = typeof OffscreenCanvas !== "undefined" && typeof Worker !== "undefined";
  if (worker === false || !workerCanDraw) return prepareInPlace(file, workerUrl);
  if (worker === null) startWorker(workerUrl);
  return new Promise((resolve, reject) => {
    const id = nextJobId++;
    workerJobs.set(id, { resolve, reject });
    worker.postMessage({ id, file });
  }).catch((error) => (error === WORKER_UNAVAILABLE ? prepareInPlace(file, workerUrl) : Promise.reject(error)));
}

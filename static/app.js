// Lets a person choose a movie poster, shrinks it in the browser and asks the API whether it is a thriller.

const MAX_SIDE = 512; // what the API keeps at most (MODEL_IMAGE_MAX_SIDE); a 4,000 px poster becomes ~20 KB
const JPEG_QUALITY = 0.85;
const TIMEOUT_MS = 30_000; // API Gateway gives up at 29 s, so waiting longer is pointless

const form = document.getElementById("poster-form");
const input = document.getElementById("poster-input");
const preview = document.getElementById("poster-preview");
const dropZoneAction = document.getElementById("drop-zone-action");
const askButton = document.getElementById("ask-button");
const statusLine = document.getElementById("status");
const errorBox = document.getElementById("error");
const answer = document.getElementById("answer");
const verdict = document.getElementById("verdict");
const probabilityBar = document.getElementById("probability-bar");
const probabilityFill = document.getElementById("probability-fill");
const probabilityPercent = document.getElementById("probability-percent");
const message = document.getElementById("message");

const apiUrl = readApiUrl();
let poster = null; // {file, image: the preview, decoded: a promise settled once it can be drawn}
let pending = null; // the AbortController of the request in flight

class ShownError extends Error {} // its message is written for the person using the page
const CANCELLED = Symbol("another poster was chosen");
const UNREADABLE_ANSWER = "The service sent an answer this page cannot read. Try again later.";
const NOT_A_FILE =
  "Drop an image file, not a link or text: save the poster to your device first, then drop or choose it.";
const NOT_CONFIGURED =
  "This page is not set up: config.js with the API address (apiUrl) is missing, so it cannot ask for an answer.";

function readApiUrl() {
  const url = window.APP_CONFIG && window.APP_CONFIG.apiUrl;
  return typeof url === "string" && url.trim() ? url.trim().replace(/\/+$/, "") : null;
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

function clearOutcome() {
  errorBox.hidden = true;
  errorBox.textContent = "";
  answer.hidden = true;
  statusLine.textContent = "";
  if (!apiUrl) showError(NOT_CONFIGURED);
}

// aria-disabled rather than disabled: a disabled button loses keyboard focus to the page body.
function setBusy(busy) {
  askButton.setAttribute("aria-disabled", String(busy));
  askButton.setAttribute("aria-busy", String(busy));
}

function forgetPoster() {
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.removeAttribute("src");
  preview.hidden = true;
  preview.alt = "";
  dropZoneAction.textContent = "Choose a poster";
  poster = null;
}

async function choosePoster(file) {
  if (pending) {
    pending.abort(CANCELLED);
    pending = null;
    setBusy(false);
  }
  clearOutcome();
  forgetPoster();
  if (file.type && !file.type.startsWith("image/")) {
    showError(`“${file.name}” is not an image. Choose a poster as a JPEG, PNG, WebP or GIF file.`);
    return;
  }
  preview.src = URL.createObjectURL(file);
  const chosen = { file, image: preview, decoded: preview.decode() };
  poster = chosen;
  try {
    await chosen.decoded;
  } catch {
    if (poster === chosen) {
      forgetPoster();
      showError(`“${file.name}” cannot be read as an image. Choose a poster as a JPEG, PNG, WebP or GIF file.`);
    }
    return;
  }
  if (poster !== chosen) return; // another poster was chosen meanwhile
  preview.alt = `The chosen poster, ${file.name}`;
  preview.hidden = false;
  dropZoneAction.textContent = "Choose another poster";
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new ShownError(`“${file.name}” could not be read. Choose it again.`));
    reader.readAsDataURL(file);
  });
}

function shrinkToJpegDataUrl(image) {
  const scale = Math.min(1, MAX_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
  canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff"; // JPEG has no transparency: flatten onto white as the API does
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingQuality = "high";
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", JPEG_QUALITY);
}

async function encodeForSending({ file, image }) {
  const small = Math.max(image.naturalWidth, image.naturalHeight) <= MAX_SIDE;
  // A small JPEG is sent as it is: encoding it again would only lose detail.
  return file.type === "image/jpeg" && small ? readAsDataUrl(file) : shrinkToJpegDataUrl(image);
}

async function readErrorMessage(response) {
  const summary = response.status < 500
    ? `The service could not use this poster (HTTP ${response.status})`
    : `The service could not answer right now (HTTP ${response.status})`;
  try {
    const body = await response.json();
    if (body && typeof body.message === "string" && body.message) return `${summary}: ${body.message}`;
  } catch {
    // not JSON (API Gateway's own errors are not): the status alone must do
  }
  return `${summary}.`;
}

async function predict(dataUrl, signal) {
  let response;
  try {
    response = await fetch(`${apiUrl}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: dataUrl }),
      signal,
    });
  } catch {
    throw new ShownError(`Cannot reach the service at ${apiUrl}. Check your connection and try again.`);
  }
  if (!response.ok) throw new ShownError(await readErrorMessage(response));
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ShownError(UNREADABLE_ANSWER);
  }
  if (!body || typeof body !== "object" || !Number.isFinite(body.probability)
      || typeof body.is_thriller !== "boolean") {
    throw new ShownError(UNREADABLE_ANSWER);
  }
  return body;
}

function showAnswer(result) {
  const percent = Math.round(result.probability * 100);
  verdict.textContent = result.is_thriller ? "Yes, a thriller or crime movie" : "No, not a thriller or crime movie";
  // The status line is the one live region: an answer unhidden now would not be read out.
  statusLine.textContent = `${verdict.textContent}: ${percent}% chance of a thriller/crime movie.`;
  answer.classList.toggle("is-thriller", result.is_thriller);
  answer.classList.toggle("is-not-thriller", !result.is_thriller);
  probabilityFill.style.setProperty("--probability", `${percent}%`);
  probabilityBar.setAttribute("aria-valuenow", String(percent));
  probabilityBar.setAttribute("aria-valuetext", `${percent} percent`);
  probabilityPercent.textContent = `${percent}%`;
  message.textContent = typeof result.message === "string" ? result.message : "";
  answer.hidden = false;
  answer.scrollIntoView({ block: "nearest" }); // on a phone the answer starts below the fold
}

async function ask(event) {
  event.preventDefault();
  clearOutcome();
  if (!apiUrl) return;
  if (!poster) {
    showError("Choose a poster first: use the box above, drop an image on the page or paste one.");
    input.focus();
    return;
  }
  if (pending) return; // the button only looks disabled while waiting, so it can still be pressed
  const chosen = poster;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new ShownError(
      `The service did not answer within ${TIMEOUT_MS / 1000} seconds. Try again in a moment.`)),
    TIMEOUT_MS);
  pending = controller;
  setBusy(true);
  statusLine.textContent = "Asking the model…";
  try {
    const readable = await chosen.decoded.then(() => true, () => false);
    if (!readable) {
      statusLine.textContent = "";
      return; // choosePoster has said why
    }
    const result = await predict(await encodeForSending(chosen), controller.signal);
    if (controller.signal.aborted) throw controller.signal.reason;
    showAnswer(result);
  } catch (error) {
    const cause = controller.signal.aborted ? controller.signal.reason : error;
    if (cause === CANCELLED) return;
    statusLine.textContent = "";
    showError(cause instanceof ShownError ? cause.message : `Something went wrong: ${cause.message}`);
  } finally {
    clearTimeout(timer);
    if (pending === controller) {
      pending = null;
      setBusy(false);
    }
  }
}

function firstFile(dataTransfer) {
  if (!dataTransfer) return null;
  if (dataTransfer.files && dataTransfer.files.length) return dataTransfer.files[0];
  for (const item of dataTransfer.items || []) {
    if (item.kind === "file") return item.getAsFile();
  }
  return null;
}

function acceptDrags() {
  let depth = 0; // dragenter/dragleave fire for every child element crossed
  document.addEventListener("dragenter", (event) => {
    event.preventDefault();
    depth += 1;
    document.body.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("is-dragging");
  });
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("is-dragging");
    const file = firstFile(event.dataTransfer);
    if (file) choosePoster(file);
    else showError(NOT_A_FILE);
  });
}

input.addEventListener("change", () => {
  const file = input.files[0];
  input.value = ""; // so choosing the same file again still counts as a choice
  if (file) choosePoster(file);
});

document.addEventListener("paste", (event) => {
  const file = firstFile(event.clipboardData);
  if (file) {
    event.preventDefault();
    choosePoster(file);
  }
});

form.addEventListener("submit", ask);
acceptDrags();

if (!apiUrl) showError(NOT_CONFIGURED);

// Shrinks and encodes a chosen poster as the JPEG the page sends, off the main thread: decoding a
// 5000x7500 PNG takes about a second, which would freeze the page. Runs as a module worker; the page
// imports the same function to run it in place where a worker cannot draw (no OffscreenCanvas).

const MAX_SIDE = 512; // what the API keeps at most (MODEL_IMAGE_MAX_SIDE)
// A request body must stay under 60 KB: base64 adds a third, JSON a few dozen bytes.
const MAX_SENT_IMAGE_BYTES = 44_000;
const JPEG_QUALITIES = [0.85, 0.7, 0.55, 0.4];
const SHRINK_STEP = 0.75; // when even the lowest quality is too big (noise-like images), fewer pixels

function canvasOf(width, height) {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(width, height);
  return Object.assign(document.createElement("canvas"), { width, height });
}

function jpegOf(canvas, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type: "image/jpeg", quality });
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

async function smallJpegOf(bitmap) {
  let scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  for (;;) {
    const canvas = canvasOf(Math.max(1, Math.round(bitmap.width * scale)),
                            Math.max(1, Math.round(bitmap.height * scale)));
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff"; // JPEG has no transparency: flatten onto white as the API does
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of JPEG_QUALITIES) {
      const blob = await jpegOf(canvas, quality);
      if (blob.size <= MAX_SENT_IMAGE_BYTES) return { blob, width: canvas.width, height: canvas.height };
    }
    scale *= SHRINK_STEP;
  }
}

/** The image to send for file: the file itself when it is already a small enough JPEG, else a new JPEG. */
export async function preparePoster(file) {
  const bitmap = await createImageBitmap(file);
  try {
    const original = { originalWidth: bitmap.width, originalHeight: bitmap.height };
    const fits = file.type === "image/jpeg" && Math.max(bitmap.width, bitmap.height) <= MAX_SIDE
      && file.size <= MAX_SENT_IMAGE_BYTES;
    // A small JPEG goes as it is (encoding it again would only lose detail); one heavy with metadata does not.
    if (fits) return { blob: file, width: bitmap.width, height: bitmap.height, ...original };
    return { ...(await smallJpegOf(bitmap)), ...original };
  } finally {
    bitmap.close();
  }
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.addEventListener("message", async ({ data: { id, file } }) => {
    try {
      self.postMessage({ id, prepared: await preparePoster(file) });
    } catch (error) {
      self.postMessage({ id, failure: String(error) });
    }
  });
}

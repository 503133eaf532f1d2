// Where the model looked: the evidence grid drawn as outlined regions over the dimmed poster (magenta: pushed
// towards thriller/crime, cyan: pushed away; the stronger, the more solid), and described in words that name
// only the regions that are marked.

const MARKED_SHARE = 0.35; // a region is marked when its push is at least this share of the strongest one
const CELL_PIXELS = 32; // the canvas is drawn this sharp per grid cell, then stretched over the poster
const FILL_OPACITY = { least: 0.2, most: 0.75 };
// The colours of styles.css --towards and --away (the legend's bar).
const COLOURS = { towards: [255, 45, 150], away: [40, 200, 255] };

export function isEvidence(grid) {
  return Boolean(grid) && Number.isInteger(grid.rows) && Number.isInteger(grid.columns) && grid.rows > 0
    && grid.columns > 0 && Array.isArray(grid.values) && grid.values.length === grid.rows
    && grid.values.every((row) => Array.isArray(row) && row.length === grid.columns && row.every(Number.isFinite));
}

/** Each cell's mark: +1 (pushed towards, strongly enough to mark), -1 (away), 0 (not marked); and strength 0..1. */
function marks(grid) {
  const largest = Math.max(...grid.values.flat().map(Math.abs));
  return grid.values.map((row) => row.map((value) => {
    const strength = largest > 0 ? Math.abs(value) / largest : 0;
    return { sign: strength >= MARKED_SHARE ? Math.sign(value) : 0, strength };
  }));
}

/** The third (of rows, or of columns) holding most of the marked pushes of one sign, if one holds at least half. */
function dominantThird(marked, sign, byRow) {
  const shares = [0, 0, 0];
  let total = 0;
  const count = byRow ? marked.length : marked[0].length;
  marked.forEach((row, r) => row.forEach((cell, c) => {
    if (cell.sign !== sign) return;
    shares[Math.floor(((byRow ? r : c) * 3) / count)] += cell.strength;
    total += cell.strength;
  }));
  const largest = shares.indexOf(Math.max(...shares));
  return total > 0 && shares[largest] >= total / 2 ? largest : null;
}

/** Where the marked pushes of one sign sit, in words: "in the top third", "in the bottom left", "spread across". */
function whereInWords(marked, sign) {
  if (!marked.flat().some((cell) => cell.sign === sign)) return null;
  const row = dominantThird(marked, sign, true);
  const column = dominantThird(marked, sign, false);
  if (row !== null && column !== null) {
    const place = row === 1 && column === 1 ? "centre"
      : `${["top", "middle", "bottom"][row]} ${["left", "centre", "right"][column]}`;
    return `mostly in the ${place}`;
  }
  if (row !== null) return `mostly in the ${["top", "middle", "bottom"][row]} third`;
  if (column !== null) return `mostly in the ${["left", "central", "right"][column]} third`;
  return "spread across the poster";
}

export function evidenceInWords(grid) {
  const marked = marks(grid);
  const towards = whereInWords(marked, 1);
  const away = whereInWords(marked, -1);
  return [
    towards ? `Marked in magenta, what pushed towards thriller/crime is ${towards}.`
      : "Nothing in the poster pushed strongly towards thriller/crime.",
    away ? `Marked in cyan, what pushed away from it is ${away}.` : "",
  ].join(" ").trim();
}

function outline(context, marked, r, c, colour) {
  const { sign } = marked[r][c];
  const sameAt = (row, column) => marked[row] && marked[row][column] && marked[row][column].sign === sign;
  const [x, y, size] = [c * CELL_PIXELS, r * CELL_PIXELS, CELL_PIXELS];
  const edges = [[!sameAt(r - 1, c), x, y, x + size, y], [!sameAt(r + 1, c), x, y + size, x + size, y + size],
    [!sameAt(r, c - 1), x, y, x, y + size], [!sameAt(r, c + 1), x + size, y, x + size, y + size]];
  for (const [open, x1, y1, x2, y2] of edges) {
    if (!open) continue;
    for (const [style, width] of [["rgb(0 0 0 / 0.7)", 6], [`rgb(${colour.join(" ")})`, 3]]) {
      context.strokeStyle = style;
      context.lineWidth = width;
      context.beginPath();
      context.moveTo(x1, y1);
      context.lineTo(x2, y2);
      context.stroke();
    }
  }
}

/** Draws the marked regions: filled with opacity by strength, and outlined where a region ends. */
export function drawEvidence(canvas, grid) {
  const marked = marks(grid);
  canvas.width = grid.columns * CELL_PIXELS;
  canvas.height = grid.rows * CELL_PIXELS;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const colourOf = (sign) => (sign > 0 ? COLOURS.towards : COLOURS.away);
  marked.forEach((row, r) => row.forEach(({ sign, strength }, c) => {
    if (!sign) return;
    const opacity = FILL_OPACITY.least + (FILL_OPACITY.most - FILL_OPACITY.least) * strength;
    context.fillStyle = `rgb(${colourOf(sign).join(" ")} / ${opacity.toFixed(3)})`;
    context.fillRect(c * CELL_PIXELS, r * CELL_PIXELS, CELL_PIXELS, CELL_PIXELS);
  }));
  marked.forEach((row, r) => row.forEach(({ sign }, c) => {
    if (sign) outline(context, marked, r, c, colourOf(sign));
  }));
}

// A plain SVG step chart of Machines Running over time, one line per run, with the ideal time
// (boot + join delay) as a dashed vertical line. No chart library.

export interface Series {
  label: string;
  /** [seconds since the MachineDeployment was created, Machines Running] */
  points: [number, number][];
  color?: string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function niceStep(max: number, ticks = 6): number {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

export function runningChart(opts: {
  title: string;
  series: Series[];
  idealSeconds?: number;
  width?: number;
  height?: number;
}): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 400;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const allPts = opts.series.flatMap((s) => s.points);
  const xMax = Math.max(1, opts.idealSeconds ?? 0, ...allPts.map((p) => p[0])) * 1.05;
  const yMax = Math.max(1, ...allPts.map((p) => p[1])) * 1.05;
  const x = (v: number) => m.l + (v / xMax) * pw;
  const y = (v: number) => m.t + ph - (v / yMax) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`,
  );
  const xs = niceStep(xMax);
  for (let v = 0; v <= xMax; v += xs) {
    out.push(
      `<line x1="${round(x(v))}" y1="${m.t}" x2="${round(x(v))}" y2="${m.t + ph}" stroke="#eee"/>`,
      `<text x="${round(x(v))}" y="${m.t + ph + 18}" text-anchor="middle">${round(v)}</text>`,
    );
  }
  const ys = niceStep(yMax);
  for (let v = 0; v <= yMax; v += ys) {
    out.push(
      `<line x1="${m.l}" y1="${round(y(v))}" x2="${m.l + pw}" y2="${round(y(v))}" stroke="#eee"/>`,
      `<text x="${m.l - 8}" y="${round(y(v) + 4)}" text-anchor="end">${round(v)}</text>`,
    );
  }
  out.push(
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">seconds since the MachineDeployment was scaled up</text>`,
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">Machines Running</text>`,
  );
  if (opts.idealSeconds !== undefined) {
    out.push(
      `<line x1="${x(opts.idealSeconds)}" y1="${m.t}" x2="${x(opts.idealSeconds)}" y2="${m.t + ph}" stroke="#555" stroke-dasharray="5,4"/>`,
      `<text x="${x(opts.idealSeconds) + 4}" y="${m.t + 14}" fill="#555">ideal (boot + join)</text>`,
    );
  }
  opts.series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    // Step line: the count holds until the next change.
    const pts: string[] = [];
    let prev: [number, number] | undefined;
    for (const p of s.points) {
      if (prev) pts.push(`${round(x(p[0]))},${round(y(prev[1]))}`);
      pts.push(`${round(x(p[0]))},${round(y(p[1]))}`);
      prev = p;
    }
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    out.push(
      `<line x1="${m.l + 10}" y1="${m.t + 14 + i * 18}" x2="${m.l + 34}" y2="${m.t + 14 + i * 18}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${m.l + 40}" y="${m.t + 18 + i * 18}">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const round = (v: number) => Math.round(v * 10) / 10;

// `pnpm build [outdir]`: bundles the three entry points into dist/ (or outdir) for plain `node`: no tsx, no
// devDependencies.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = resolve(root, process.argv[2] ?? "dist");

// Left out of the bundle, installed as the root package's dependencies: PGlite loads its WebAssembly and data files,
// Swagger UI its static assets, from their own package folders. The rest are optional native speed-ups that
// discord.js and ws try to load and do without.
const external = [
  "@electric-sql/pglite",
  "@fastify/swagger-ui",
  "bufferutil",
  "utf-8-validate",
  "zlib-sync",
  "erlpack",
  "@discordjs/opus",
];

rmSync(dist, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    main: "api/src/main.ts",
    tally: "api/src/cli/main.ts",
    "discord-bot": "bots/discord/src/main.ts",
  },
  outdir: dist,
  bundle: true,
  // Each bot's code is a chunk loaded only when its door is configured, as in development.
  splitting: true,
  chunkNames: "[name]-[hash]",
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  external,
  // CommonJS dependencies inside an ES module bundle still call require() and read __dirname.
  banner: {
    js: [
      'import { createRequire as __tallyCreateRequire } from "node:module";',
      'import { dirname as __tallyDirname } from "node:path";',
      'import { fileURLToPath as __tallyFileURLToPath } from "node:url";',
      "const require = __tallyCreateRequire(import.meta.url);",
      "const __filename = __tallyFileURLToPath(import.meta.url);",
      "const __dirname = __tallyDirname(__filename);",
    ].join("\n"),
  },
  logLevel: "warning",
});
// The dashboard's stylesheet, chart script and uPlot, where web/src/serve-assets.ts looks first.
mkdirSync(`${dist}/web-assets`, { recursive: true });
for (const name of ["dashboard.css", "dashboard.js"]) cpSync(`${root}web/assets/${name}`, `${dist}/web-assets/${name}`);
for (const name of ["uPlot.iife.min.js", "uPlot.min.css"]) {
  cpSync(createRequire(`${root}web/package.json`).resolve(`uplot/dist/${name}`), `${dist}/web-assets/${name}`);
}
// Beside the bundle, where openDatabase looks first.
cpSync(`${root}db/migrations`, `${dist}/migrations`, { recursive: true });
console.log("Built dist/main.js (the server), dist/tally.js (the CLI), dist/discord-bot.js (the standalone bot)");

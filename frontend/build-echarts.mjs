// Bundles frontend/echarts.js into frontend/build/echarts.js, which Trunk
// then hashes into dist/. Run by Trunk's pre_build hook (Trunk.toml).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

await build({
  entryPoints: [here("./echarts.js")],
  outfile: here("./build/echarts.js"),
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  // ECharts keeps its development-only checks behind this.
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

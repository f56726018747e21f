// The page's first script, so the request it starts leaves before the
// stylesheet, ECharts and the WebAssembly have loaded: it asks the API for
// the series of the view the address names, as the app would, and leaves
// the request for the app (src/preload.rs), which takes the answer only
// if it is exactly the request it would have made itself. A file, not an
// inline script: cached with the page's other hashed files, and allowed by
// the Content-Security-Policy's 'self' without a hash to keep in step.
"use strict";
// Loaded by the dashboard only (index.html): its links are `/?<view>`.
if (location.pathname === "/") {
  const search = location.search;
  // Read to the end here, while the rest loads: the app then starts
  // drawing in the task it starts in, not one body read later.
  const answer = fetch("/api/v1/series" + search).then((response) =>
    response.text().then((body) => ({ status: response.status, body })),
  );
  // The app may not want it (an invalid link, say): no unhandled rejection.
  answer.catch(() => {});
  window.tlswatchSeries = { search, answer };
}

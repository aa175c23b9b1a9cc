// Clicking an account on the network map shows it in the panel below the map; in the
// dashboard (where `window.ACCOUNT_HREF` is set) the panel links to the account's page.
(function () {
  var map = document.getElementById("chart-network");
  var panel = document.getElementById("selected");
  if (!map || !panel || !map.on) { return; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  map.on("plotly_click", function (event) {
    if (!event.points || !event.points.length || !event.points[0].customdata) { return; }
    var d = event.points[0].customdata;
    var name = d[2] ? "@" + d[2] : d[1];
    var html = "<b>" + esc(name) + "</b> <span class=\"muted\">" + esc(d[0]) + "/" + esc(d[1]) +
      "</span> · community " + esc(d[3]) + " · PageRank " + Number(d[4]).toFixed(5) +
      " · " + Number(d[5]).toLocaleString() + " posts";
    if (d[6] !== "") {
      html += " · <a href=\"" + (window.ACCOUNT_HREF ? "/coordination#cluster-" : "#cluster-") +
        esc(d[6]) + "\">coordination cluster " + esc(d[6]) + "</a>";
    }
    if (window.ACCOUNT_HREF) {
      html += " · <a href=\"" + window.ACCOUNT_HREF + encodeURIComponent(d[0]) + "/" +
        encodeURIComponent(d[1]) + "\">account page</a>";
    }
    panel.innerHTML = html;
    panel.className = "";
    panel.setAttribute("data-account", d[1]);
  });
})();

// Charts are drawn before the page's grid settles, and charts inside closed <details> have no
// width at all: fit each chart to its box once the page has loaded and whenever a section opens.
(function () {
  function fit(root) {
    var plots = (root || document).querySelectorAll(".js-plotly-plot");
    var done = [];
    for (var i = 0; i < plots.length; i++) {
      if (plots[i].offsetWidth > 0) { done.push(Plotly.Plots.resize(plots[i])); }
    }
    return Promise.all(done);
  }
  // `data-fitted` on <body> tells scripts (and browser tests) that the charts have their size.
  window.addEventListener("load", function () {
    fit(document).then(function () { document.body.setAttribute("data-fitted", "1"); });
  });
  document.addEventListener("toggle", function (event) {
    if (event.target.open) { fit(event.target); }
  }, true);
})();

// /listen with htmx: after another page of results is swapped in, the link that was
// pressed no longer exists, so move keyboard focus to the results heading.
document.addEventListener("htmx:afterSettle", function (event) {
  var config = event.detail && event.detail.requestConfig;
  var source = config && config.elt;
  if (!source || !source.classList || !source.classList.contains("pager-link")) {
    return;
  }
  var heading = document.getElementById("results-heading");
  if (heading) {
    heading.focus();
  }
});

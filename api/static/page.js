// Regionsök: small progressive enhancements (the pages work without it). No inline script: the CSP forbids it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // On a narrow screen the filters start folded, so the results come first.
  var box = document.getElementById("facet-box");
  if (box && window.matchMedia("(max-width: 50rem)").matches) {
    box.open = false;
  }
  // On a document page opened from a search, show the first marked passage.
  var first = document.querySelector(".document .text mark");
  if (first) {
    first.classList.add("current");
    first.scrollIntoView({ block: "center" });
  }
});

// The print button of the day sheet: the page prints itself with the print stylesheet of site.css.
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});

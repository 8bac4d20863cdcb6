// Repeating groups (forms' repeats): rows are added and removed in the page rather than by posting
// the form. Without this script the same buttons post the form, which comes back at the repeat.
// The blank row to add is the repeat's <template class="repeat-row">, its index written "#"; rows
// keep the indices they were drawn with, and the server renumbers them (forms.FromFormValues).
(function () {
  "use strict";

  function rows(fs) {
    return fs.querySelectorAll(":scope > ol.rows > li.row");
  }

  // bounds shows the add button below the maximum and the remove buttons above the minimum (at
  // least one row always stays to type into).
  function bounds(fs) {
    var n = rows(fs).length;
    var max = parseInt(fs.dataset.max, 10) || Infinity;
    var min = Math.max(parseInt(fs.dataset.min, 10) || 0, 1);
    var add = fs.querySelector(":scope > .repeat-add");
    if (add) add.hidden = n >= max;
    rows(fs).forEach(function (li) {
      var b = li.querySelector(":scope > .repeat-remove");
      if (b) b.hidden = n <= min;
    });
  }

  // renumber writes index k in place of the first "#" index of the names, ids and labels under
  // root, and of the templates nested in it (a repeat inside the row keeps its own "#").
  function renumber(root, k) {
    root.querySelectorAll("*").forEach(function (el) {
      ["name", "id", "for", "value", "aria-describedby"].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v !== null && (a !== "value" || el.tagName === "BUTTON")) {
          el.setAttribute(a, v.replace("[#]", "[" + k + "]").replace("-#-", "-" + k + "-"));
        }
      });
      if (el.tagName === "TEMPLATE") renumber(el.content, k);
    });
  }

  function add(fs) {
    var tpl = fs.querySelector(":scope > template.repeat-row");
    var list = fs.querySelector(":scope > ol.rows");
    var k = parseInt(fs.dataset.next, 10) || 0;
    var row = tpl.content.cloneNode(true);
    renumber(row, k);
    fs.dataset.next = k + 1;
    list.appendChild(row);
    bounds(fs);
    var first = list.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  function remove(fs, li) {
    var next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    bounds(fs);
    var target = next && next.querySelector("input, select, textarea");
    (target || fs.querySelector(":scope > .repeat-add") || fs).focus();
  }

  document.querySelectorAll("fieldset.repeat").forEach(function (fs) {
    if (fs.querySelector(":scope > template.repeat-row")) bounds(fs);
  });

  document.addEventListener("click", function (e) {
    var b = e.target.closest("button[name=intent]");
    var fs = b && b.closest("fieldset.repeat");
    if (!fs || !fs.querySelector(":scope > template.repeat-row")) return;
    if (b.classList.contains("repeat-add") && b.parentElement === fs) {
      e.preventDefault();
      add(fs);
    } else if (b.classList.contains("repeat-remove") && b.closest("fieldset.repeat") === fs) {
      e.preventDefault();
      remove(fs, b.closest("li.row"));
    }
  });
})();

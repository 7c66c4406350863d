/* Quick entry form: filter the product list as one types, preselect the product's unit
   (liquids in litres, powders and granules in kilograms) and the harvest's (kg). Works
   without it: the server checks everything. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.querySelector("form.quick-form");
    if (!form) return;
    var product = form.querySelector("#id_product");
    var unit = form.querySelector("#id_unit");
    var search = form.querySelector("#product-search");
    var unitsEl = document.getElementById("product-units");
    var units = unitsEl ? JSON.parse(unitsEl.textContent) : {};
    if (search && product) {
      search.addEventListener("input", function () {
        var q = search.value.trim().toLowerCase();
        var first = null;
        Array.prototype.forEach.call(product.querySelectorAll("option"), function (opt) {
          if (!opt.value) return;
          var show = !q || opt.textContent.toLowerCase().indexOf(q) !== -1;
          opt.hidden = !show;
          if (show && !first) first = opt;
        });
        var current = product.selectedOptions[0];
        if (q && first && (!current || !current.value || current.hidden)) {
          product.value = first.value;
          product.dispatchEvent(new Event("change"));
        }
      });
    }
    if (product && unit) {
      product.addEventListener("change", function () {
        if (units[product.value]) unit.value = units[product.value];
      });
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[name=kind]"), function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked && radio.value === "harvest" && unit && !unit.value) unit.value = "KGM";
        form.dataset.kind = radio.value;
      });
      if (radio.checked) form.dataset.kind = radio.value;
    });
  });
})();

/* The report page's map: tap to put the pin, "use my location", find a typed street, and
   shrink a large photo before it travels a slow connection. The form works without it. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L) { return; }
  var lat = document.getElementById("lat"), lon = document.getElementById("long");
  var state = document.getElementById("pin-state"), address = document.getElementById("address");
  var map = L.map(box, { zoomSnap: 0.25, attributionControl: true });
  map.attributionControl.addAttribution("© OpenStreetMap");
  var marker = null, streets = null;

  function place(latlng, pan) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (marker) { marker.setLatLng(latlng); }
    else { marker = L.circleMarker(latlng, { radius: 10, color: "#c0392b", weight: 3,
      fillColor: "#e74c3c", fillOpacity: 0.9 }).addTo(map); }
    if (pan) { map.setView(latlng, Math.max(map.getZoom() || 16, 17)); }
    state.textContent = box.getAttribute("data-placed");
  }

  map.on("click", function (e) { place(e.latlng, false); });
  var centre = (box.getAttribute("data-centre") || "0,0").split(",");
  map.setView([+centre[0], +centre[1]], 15);

  var request = new XMLHttpRequest();
  request.open("GET", box.getAttribute("data-streets"));
  request.onload = function () {
    if (request.status !== 200) { return; }
    streets = L.geoJSON(JSON.parse(request.responseText), {
      style: { color: "#7b8780", weight: 2, opacity: 0.9 }, interactive: false
    }).addTo(map);
    var given = box.getAttribute("data-lat"), givenLon = box.getAttribute("data-lon");
    if (given && givenLon) { place(L.latLng(+given, +givenLon), true); }
    else { map.fitBounds(streets.getBounds()); }
  };
  request.send();

  var locate = document.getElementById("locate");
  if (navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        place(L.latLng(p.coords.latitude, p.coords.longitude), true);
      }, function () { state.textContent = "?"; }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }
  address.addEventListener("change", function () {
    if (!streets) { return; }
    var wanted = fold(address.value), found = null;
    streets.eachLayer(function (layer) {
      if (!found && fold(layer.feature.properties.name || "") === wanted) { found = layer; }
    });
    if (found) { place(found.getCenter(), true); }
  });

  var media = document.getElementById("media"), form = document.getElementById("report-form");
  media.addEventListener("change", function () {
    var file = media.files && media.files[0];
    if (!file || file.size < 1500000 || !window.DataTransfer || !window.createImageBitmap) { return; }
    createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob) { return; }
        var list = new DataTransfer();
        list.items.add(new File([blob], "foto.jpg", { type: "image/jpeg" }));
        media.files = list.files;
      }, "image/jpeg", 0.82);
    }).catch(function () {});
  });
  form.addEventListener("submit", function () { document.getElementById("send").disabled = true; });
}());

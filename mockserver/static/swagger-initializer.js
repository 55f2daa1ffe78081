// Starts Swagger UI with the settings the page carries in #mock-config (see docs.py): the spec's URL
// on /docs, the spec itself in the static export (static_docs.py), which may not fetch from file://.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("mock-config").textContent);
  var ui = SwaggerUIBundle({
    url: config.spec ? undefined : config.specUrl,
    spec: config.spec || undefined,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () {
      if (config.authorization) {
        ui.preauthorizeApiKey(config.securityScheme, config.authorization);
      }
    }
  });
  window.ui = ui;
})();

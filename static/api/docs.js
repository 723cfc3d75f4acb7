// The API documentation page: Swagger UI from the portal's own static files, started here
// instead of in an inline script (the Content-Security-Policy allows no inline code).
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  const csrfToken = root.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // "Try it out" uses the signed-in session: unsafe methods carry the CSRF token.
    requestInterceptor: function (request) {
      if (request.method && !["GET", "HEAD"].includes(request.method.toUpperCase())) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();

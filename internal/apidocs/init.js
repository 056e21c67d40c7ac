// Starts Swagger UI on the contract this server serves, and wires the header's token form.
// Served as a file rather than inline, so that the page's Content-Security-Policy can forbid
// inline script.
"use strict";

(function () {
  const ui = SwaggerUIBundle({
    url: "/openapi.yaml",
    dom_id: "#swagger-ui",
    layout: "BaseLayout", // no top bar: this page documents one contract only
    deepLinking: true, // #/tag/operationId links to an operation
    tryItOutEnabled: true,
    persistAuthorization: false, // a token lives as long as the tab, never in localStorage
    validatorUrl: null, // no badge fetched from validator.swagger.io
    queryConfigEnabled: false, // ?url=... must not point the page at another document
    defaultModelsExpandDepth: 1, // the Schemas section lists every schema
    defaultModelExpandDepth: 2,
    displayOperationId: false,
    displayRequestDuration: true,
    filter: true,
    showExtensions: false,
    showCommonExtensions: true,
    withCredentials: false, // bearer tokens, never cookies
  });

  // Swagger UI's Authorize dialog offers the contract's OAuth2 flows (password, client
  // credentials). A token already in hand (from p4wctl, or a colleague's script) is pasted here
  // and used for every operation, as if a flow had returned it.
  const form = document.getElementById("p4w-token");
  const input = document.getElementById("p4w-token-value");
  const state = document.getElementById("p4w-token-state");

  function oauth2Schemes() {
    const schemes = ui.specSelectors.securityDefinitions();
    if (!schemes) {
      return [];
    }
    return schemes.filter((scheme) => scheme.get("type") === "oauth2").keySeq().toArray();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim().replace(/^Bearer\s+/i, "");
    const names = oauth2Schemes();
    if (token === "" || names.length === 0) {
      state.value = token === "" ? "Paste a token first." : "The contract has not loaded yet.";
      return;
    }
    const schemes = ui.specSelectors.securityDefinitions();
    for (const name of names) {
      ui.authActions.authorizeOauth2({
        auth: { name: name, schema: schemes.get(name).toJS(), scopes: [] },
        token: { access_token: token, token_type: "Bearer" },
      });
    }
    input.value = "";
    state.value = "Token in use for try it out.";
  });

  document.getElementById("p4w-token-forget").addEventListener("click", () => {
    ui.authActions.logout(oauth2Schemes());
    input.value = "";
    state.value = "No token.";
  });
})();

// Marks the page as able to run GOV.UK Frontend's components (as its template's inline script would; the CSP allows no inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');

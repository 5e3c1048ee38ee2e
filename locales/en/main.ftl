### SafeCert — English

## Errors (JSON error bodies)

error-invalid-cert-no = The certificate number is malformed: it must be 4 to 32 characters of digits, Latin letters and hyphens. Check the number printed on the certificate.
error-invalid-name = The holder's name is malformed: it must be 1 to 40 letters; digits and symbols are not allowed.
error-missing-parameter = A required parameter is missing: { $name }.
error-invalid-parameter = The parameter { $name } is malformed.
error-unknown-tenant = There is no such province or tenant. See /api/v1/tenants for the list.
error-certificate-not-found = No certificate with this number was found in this province.
error-not-found = The requested address does not exist.
error-rate-limited = Too many queries from your address. Please try again in { $seconds } seconds.
error-bad-request = The request could not be understood. Check the parameters and their encoding (UTF-8).
error-payload-too-large = The request is too large.
error-method-not-allowed = This method is not allowed for this address.
error-unavailable = The service is temporarily unavailable. Please try again shortly.
error-internal = An internal error occurred. Please try again later; if it persists, quote the request id { $request_id }.

## Verification page

site-name = SafeCert — National Work-Safety Training Certificate Verification
site-tagline = Official verification service. A certificate is genuine only if it is confirmed on this site; check the address bar before you trust a result.
skip-to-content = Skip to main content
language-switch = Language
verify-heading = Verify a certificate
verify-intro = Enter the certificate number and the holder's name exactly as printed on the certificate.
label-cert-no = Certificate number
label-name = Holder's name
placeholder-cert-no = e.g. GD2023000123 (example)
placeholder-name = e.g. 张三
verify-submit = Verify
result-heading = Verification result
result-genuine = Genuine certificate: the number and the name match our records.
result-no-match = No certificate matches this number and name. Check both and try again; a certificate that cannot be found here may be forged.
status-valid = Valid
status-expiring = Expiring soon
status-expired = Expired
status-revoked = Revoked
status-suspended = Suspended
status-label = Status
field-holder = Holder
field-cert-no = Certificate number
field-cert-type = Certificate type
field-position = Position
field-industry = Industry
field-province = Province
field-authority = Issuing authority
field-issue-date = Issue date
field-expiry-date = Valid until
footer-privacy = Personal details are partly hidden to protect the holder's privacy.
footer-api = Developers: API documentation
error-invalid-body = The request body is not valid JSON for this operation. Check the field names and types in the API documentation at /docs/.
error-unauthorized = This operation needs the administrator token: send it as "Authorization: Bearer <token>".
error-admin-disabled = The administration API is turned off on this server: set SAFECERT_ADMIN_TOKEN to turn it on.
error-rules-rejected = The rules were not accepted: they fail their checks. The details list each problem with its file, line and column; nothing was changed.
error-unknown-rules-version = This province has no rules version with that name. List the versions at /api/v1/t/<province>/rules.
error-rules-conflict = The rules cannot be changed that way right now: the version is already active, there is nothing to roll back, or another change came first. Reload the version list and try again.
error-unauthenticated = Sign in first (or your session has ended): send the session cookie or "Authorization: Bearer <token>". The public check is /api/v1/verify.
error-forbidden = Your account is not allowed to do this. Ask your administrator for access.
error-invalid-code = The code is wrong, has expired or was already used. Sign in again to get a new one.
error-too-many-codes = Too many codes were requested for this account. Wait 15 minutes, then try again.
error-invalid-input = Some of the information is not valid; the details say which field and why.
error-weak-password = The password is too weak; the details say why. Use at least 10 characters mixing letters, digits and symbols.
error-second-factor-unavailable = That second factor cannot be used: choose totp, or give a phone number (sms) or email address (email) the server can reach.
error-already-registered = That enterprise or sign-in name is already registered. Sign in instead, or choose another name.
error-unknown-department = There is no such department in your enterprise.
signin-code-sent = If the sign-in name and password are right, a code is on its way by the account's second factor (SMS, email or authenticator app). Enter it within 5 minutes.
error-unknown-grant = There is no such grant in force.
error-unknown-request = There is no such request.
error-already-decided = The request was already decided; reload to see the decision.
error-grant-exceeds-granter = A grant cannot give more than you have yourself: choose an action and department within your own access.

"""examsite as an LTI 1.3 tool (IMS LTI Core 1.3 with Deep Linking 2.0, Assignment and Grade
Services 2.0 and Names and Role Provisioning Services 2.0).

Built on joserfc (already the credentials' JOSE library) and the standard library's HTTP client
rather than pylti1p3; the README says why. The layers: models; keys (the tool's RSA keys);
platforms (registrations, their key sets, service tokens); messages (pure checks of an id_token's
claims); launch (OIDC state and nonce, signature); accounts (linking a platform user to an
examsite account); deep_linking, scores (grade passback outbox), roster (NRPS); views, admin, cli.
Delivery never imports this package: a scored attempt reaches it through
`examsite.delivery.signals.attempt_scored`.
"""

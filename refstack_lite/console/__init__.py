"""The web console: vendors and the foundation at work in the browser, signed in with OpenID
Connect. Its pages call the same services as the /v2 API, with the signed-in person as the actor."""

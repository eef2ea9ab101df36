package image

// RegistryAuth returns the X-Registry-Auth header value for pushing or
// pulling ref with the credentials stored by `berth login` (the docker
// CLI's config file), as `berth push` sends it; other commands that push
// or pull (`berth compose push|pull|up`) use it to authenticate the same way.
func RegistryAuth(ref string) (string, error) { return encodedAuth(ref) }

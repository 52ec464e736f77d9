// Command plugin is the server executable of the Community Escalations bundle for stock
// Mattermost servers: a Go plugin that hosts the Python backend (see README.md).
package main

import (
	"github.com/mattermost/mattermost/server/public/plugin"

	"community-escalations/bridge/internal/bridge"
)

func main() {
	plugin.ClientMain(bridge.New())
}

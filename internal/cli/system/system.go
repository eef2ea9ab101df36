package system

import (
	"github.com/berth-engine/berth/internal/cli/command"
)

// Verbs are the top-level system commands by name.
var Verbs = command.Verbs{
	{Name: "inspect", Make: newInspectCommand}, {Name: "version", Make: newVersionCommand}, {Name: "info", Make: newInfoCommand}, {Name: "events", Make: newEventsCommand},
}

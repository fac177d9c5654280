package halt

import "fmt"

// Action is one failure policy.
type Action string

// The actions, as verinit.on_failure= names them.
const (
	Reboot   Action = "reboot"
	PowerOff Action = "poweroff"
	Panic    Action = "panic"
	Shell    Action = "shell"
)

// ParseAction checks a verinit.on_failure= value.
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Reboot, PowerOff, Panic, Shell:
		return a, nil
	}
	return "", fmt.Errorf("want reboot, poweroff, panic or shell")
}

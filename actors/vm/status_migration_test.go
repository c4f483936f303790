package vm

import "github.com/hostagent/hostagent/protocol/vdsm"

// migrationEvent reads the migration events of a transcript line (status_migration.go); nil for
// any other name.
func migrationEvent(name string, a *eventArgs) Event {
	switch name {
	case "IncomingCreated":
		c := IncomingCreated{StartTime: a.ms("start")}
		if fqdn := a.str("fqdn"); fqdn != "" { // the source's guest agent had said its hostname
			g := vdsm.NoGuestInfo()
			g.GuestFQDN = fqdn
			c.Guest = &g
		}
		return c
	case "MigrateRequested":
		return MigrateRequested{}
	case "MigrationSucceeded":
		return MigrationSucceeded{}
	case "MigrationFailed":
		return MigrationFailed{PostCopy: a.flag("postcopy")}
	case "OutgoingRecovered":
		return OutgoingRecovered{}
	case "IncomingTimedOut":
		return IncomingTimedOut{}
	}
	return nil
}

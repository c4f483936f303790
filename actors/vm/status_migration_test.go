package vm

// migrationEvent reads the migration events of a transcript line (status_migration.go); nil for
// any other name.
func migrationEvent(name string, a *eventArgs) Event {
	switch name {
	case "IncomingCreated":
		return IncomingCreated{StartTime: a.ms("start")}
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

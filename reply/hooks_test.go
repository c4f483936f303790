package reply

// funcHook lets tests register a plain function as a Hook.
type funcHook func()

func (f funcHook) Answered(*Reply) { f() }

// OnDone registers f to run once, right after the request is answered (at once if it already
// was).
func (r *Reply) OnDone(f func()) { r.AddHook(funcHook(f)) }

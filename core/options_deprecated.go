package core

import "fmt"

// The runtime-checked option API of before typed options. It still works,
// for code written against it; new code uses the typed options
// (ConnectOption, ServerOption, WriteOption, DialOption) and
// NewConnectOption / NewServerOption / NewDialOption.

// Target is a set of calls an option made by NewOption may be passed to.
//
// Deprecated: options are typed; see ConnectOption, ServerOption and
// WriteOption.
type Target uint8

// The targets of NewOption.
//
// Deprecated: see Target.
const (
	ForConnect Target = 1 << iota
	ForServer
	ForWrite
)

// NewOption returns an option called name that records its choice with
// apply, and that fits every entry point the compiler lets it reach; one
// passed to a call outside targets fails there, at run time.
//
// Deprecated: use NewConnectOption, NewServerOption or NewDialOption,
// which the compiler checks.
func NewOption(name string, targets Target, apply func(*Settings) error) EventOption {
	return legacyOpt{option{name, apply}, targets}
}

// legacyOpt is an option of NewOption: it fits everywhere and checks its
// targets when applied.
type legacyOpt struct {
	option
	targets Target
}

func (o legacyOpt) applyIf(t Target, st *Settings) error {
	if o.targets&t == 0 {
		return fmt.Errorf("option does not apply here")
	}
	return o.apply(st)
}

func (o legacyOpt) ApplyConnect(st *Settings) error { return o.applyIf(ForConnect, st) }
func (o legacyOpt) ApplyServer(st *Settings) error  { return o.applyIf(ForServer, st) }
func (o legacyOpt) ApplyWrite(st *Settings) error   { return o.applyIf(ForWrite, st) }
func (o legacyOpt) ApplyDial(st *Settings) error    { return o.applyIf(ForConnect, st) }

// Configure applies opts for call and target and returns the result.
//
// Deprecated: use ResolveConnect, ResolveServer or ResolveWrite.
func Configure(call string, target Target, opts ...Option) (*Settings, error) {
	return resolve(call, opts, func(o Option, st *Settings) error {
		switch o := o.(type) {
		case ConnectOption:
			if target == ForConnect {
				return o.ApplyConnect(st)
			}
		}
		if so, ok := o.(ServerOption); ok && target == ForServer {
			return so.ApplyServer(st)
		}
		if wo, ok := o.(WriteOption); ok && target == ForWrite {
			return wo.ApplyWrite(st)
		}
		return fmt.Errorf("option does not apply here")
	})
}

// keyValue is a value of SetValue.
type keyValue struct {
	key, value any
}

// Value returns the value stored under key with SetValue, or nil.
//
// Deprecated: Settings has a field for every option.
func (st *Settings) Value(key any) any {
	for _, kv := range st.values {
		if kv.key == key {
			return kv.value
		}
	}
	return nil
}

// SetValue stores v under key.
//
// Deprecated: Settings has a field for every option.
func (st *Settings) SetValue(key, v any) {
	for i := range st.values {
		if st.values[i].key == key {
			st.values[i].value = v
			return
		}
	}
	st.values = append(st.values, keyValue{key, v})
}

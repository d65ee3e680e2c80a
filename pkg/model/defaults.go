package model

import (
	"path"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Licenses of the generated sources.
const (
	LicenseApache2 = "apache2"
	LicenseNone    = "none"
)

// Default fills in the values a description may leave out. It only sets empty fields, so
// applying it twice changes nothing.
func Default(app *Application) {
	if app == nil {
		return
	}
	spec := &app.Spec
	setIfEmpty(&spec.Operator.License, LicenseApache2)
	setIfEmpty(&spec.Rollout.Install, Parallel)
	setIfEmpty(&spec.Rollout.Upgrade, Ordered)
	for i := range spec.ConfigFiles {
		cf := &spec.ConfigFiles[i]
		setIfEmpty(&cf.Format, FormatFromFileName(cf.FileName))
		setIfEmpty(&cf.Scope, ScopeNode)
	}
	for i := range spec.NodeTypes {
		nt := &spec.NodeTypes[i]
		for j := range nt.Ports {
			if nt.Ports[j].Protocol == "" {
				nt.Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
		if nt.Replicas == nil {
			one := int32(1)
			nt.Replicas = &one
		}
		if nt.Service == nil && len(nt.Ports) > 0 {
			nt.Service = &Service{}
		}
		if nt.Service != nil && nt.Service.Type == "" {
			nt.Service.Type = corev1.ServiceTypeClusterIP
		}
		for j := range nt.HealthGates {
			defaultHealthGate(&nt.HealthGates[j])
		}
		if nt.Decommission != nil {
			defaultDecommission(nt.Decommission)
		}
		if r := nt.ClaimRetention; r != nil {
			setIfEmpty(&r.WhenScaled, ClaimRetain)
			setIfEmpty(&r.WhenDeleted, ClaimRetain)
		}
	}
}

// Defaults of a health gate.
const (
	DefaultGateStatus           = 200
	DefaultGateIntervalSeconds  = 10
	DefaultGateTimeoutSeconds   = 5
	DefaultGateSuccessThreshold = 1
)

// defaultHealthGate fills in the values a health gate may leave out.
func defaultHealthGate(g *HealthGate) {
	setIfEmpty(&g.Target, GateTargetPod)
	setIfZero(&g.Status, DefaultGateStatus)
	setIfZero(&g.IntervalSeconds, DefaultGateIntervalSeconds)
	setIfZero(&g.TimeoutSeconds, DefaultGateTimeoutSeconds)
	setIfZero(&g.SuccessThreshold, DefaultGateSuccessThreshold)
}

// Default of a decommission's start call.
const DefaultDrainMethod = "POST"

// defaultDecommission fills in the values a decommission may leave out.
func defaultDecommission(d *Decommission) {
	setIfZero(&d.IntervalSeconds, DefaultGateIntervalSeconds)
	setIfZero(&d.TimeoutSeconds, DefaultGateTimeoutSeconds)
	if d.Start != nil {
		setIfEmpty(&d.Start.Method, DefaultDrainMethod)
	}
	if d.Check != nil {
		setIfZero(&d.Check.Status, DefaultGateStatus)
	}
}

func setIfEmpty(s *string, value string) {
	if *s == "" {
		*s = value
	}
}

func setIfZero(n *int32, value int32) {
	if *n == 0 {
		*n = value
	}
}

// FormatFromFileName guesses a config file format from the file name's extension.
func FormatFromFileName(fileName string) string {
	switch strings.ToLower(path.Ext(fileName)) {
	case ".properties", ".conf":
		return FormatProperties
	case ".yaml", ".yml":
		return FormatYAML
	case ".json":
		return FormatJSON
	case ".xml":
		return FormatXML
	}
	return FormatText
}

// Normalize makes equal content yield equal values: empty lists and maps become nil
// ("ports: []" is the same as no ports) and empty probes and resources are dropped.
// Load applies it before Default.
func Normalize(app *Application) {
	if app == nil {
		return
	}
	emptyToNil(reflect.ValueOf(app).Elem())
	for i := range app.Spec.NodeTypes {
		nt := &app.Spec.NodeTypes[i]
		if nt.Probes != nil && *nt.Probes == (Probes{}) {
			nt.Probes = nil
		}
		if nt.Resources != nil && reflect.ValueOf(*nt.Resources).IsZero() {
			nt.Resources = nil
		}
	}
}

// emptyToNil sets empty slices and maps to nil, everywhere below v.
func emptyToNil(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			emptyToNil(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				emptyToNil(f)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if !v.IsNil() && v.CanSet() {
				v.SetZero()
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			emptyToNil(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 && !v.IsNil() && v.CanSet() {
			v.SetZero()
		}
	}
}

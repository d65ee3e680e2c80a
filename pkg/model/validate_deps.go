package model

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

func validateDependencies(ps *Problems, spec *Spec) {
	names := newUniqueNames("dependency")
	envs := map[string]string{} // env name -> path of the field that sets it
	for i, dep := range spec.Dependencies {
		dp := fmt.Sprintf("spec.dependencies[%d]", i)
		if checkName(ps, dp+".name", dep.Name, dnsOrCamel) {
			names.add(ps, dp+".name", dep.Name)
		}
		checkDescription(ps, dp+".description", dep.Description)
		if len(dep.Fields) == 0 {
			ps.add(dp+".fields", "at least one field is required")
		}
		fields := newUniqueNames("field")
		for j, f := range dep.Fields {
			fp := fmt.Sprintf("%s.fields[%d]", dp, j)
			if checkName(ps, fp+".name", f.Name, camelOnly) {
				fields.add(ps, fp+".name", f.Name)
			}
			checkEnum(ps, fp+".type", "field type", f.Type, FieldString, FieldInt, FieldBool, FieldSecretRef)
			checkDescription(ps, fp+".description", f.Description)
			checkExample(ps, fp+".example", f)
			if f.Env == "" {
				continue
			}
			switch errs := validation.IsEnvVarName(f.Env); {
			case len(errs) > 0:
				ps.add(fp+".env", "invalid env name %q: %s", f.Env, strings.Join(errs, "; "))
			case envs[f.Env] != "":
				ps.add(fp+".env", "duplicate env %q: also set by dependency field %s", f.Env, envs[f.Env])
			default:
				envs[f.Env] = fp
			}
		}
	}
}

// dependencyEnvs maps each env name set by a dependency field to the first field setting it.
func dependencyEnvs(spec *Spec) map[string]string {
	envs := map[string]string{}
	for i, dep := range spec.Dependencies {
		for j, f := range dep.Fields {
			if f.Env != "" && envs[f.Env] == "" {
				envs[f.Env] = fmt.Sprintf("spec.dependencies[%d].fields[%d]", i, j)
			}
		}
	}
	return envs
}

// checkExample checks that an example fits its field type; it goes into the sample CR.
func checkExample(ps *Problems, p string, f Field) {
	if f.Example == "" {
		return
	}
	switch f.Type {
	case FieldInt:
		if _, err := strconv.ParseInt(f.Example, 10, 64); err != nil {
			ps.add(p, "invalid example %q: must be an integer", f.Example)
		}
	case FieldBool:
		if f.Example != "true" && f.Example != "false" {
			ps.add(p, "invalid example %q: must be true or false", f.Example)
		}
	case FieldSecretRef:
		name, key, ok := strings.Cut(f.Example, "/")
		if !ok || len(validation.IsDNS1123Subdomain(name)) > 0 || len(validation.IsConfigMapKey(key)) > 0 {
			ps.add(p, "invalid example %q: a secretRef example must look like secret-name/key", f.Example)
		}
	}
}

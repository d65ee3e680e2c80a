/*
Copyright Acme Inc.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package dsoi

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// A health gate's condition is a CEL expression, the language of the API server's own
// validation rules, over the gate's HTTP answer:
//
//	status  int     the HTTP status code
//	body    dyn     the answer parsed as JSON (null when it is not JSON)
//	text    string  the answer as text
//
// It must yield a bool, such as body.numSegmentsToLoad == 0 or size(body.underReplicated) == 0.

// gateConditionCost bounds the work of one evaluation, so that a condition over a large
// answer cannot stall the reconcile (CEL counts cost per operation and list element).
const gateConditionCost = 1_000_000

var (
	gateEnvOnce sync.Once
	gateEnv     *cel.Env
	gateEnvErr  error
)

func gateConditionEnv() (*cel.Env, error) {
	gateEnvOnce.Do(func() {
		gateEnv, gateEnvErr = cel.NewEnv(
			cel.Variable("status", cel.IntType),
			cel.Variable("body", cel.DynType),
			cel.Variable("text", cel.StringType),
			ext.Strings(),
			cel.CrossTypeNumericComparisons(true),
		)
	})
	return gateEnv, gateEnvErr
}

// CompileGateCondition compiles a health gate's condition, refusing one that does not parse,
// names an unknown variable or cannot yield a bool. dsoi-gen calls it to validate a
// description, and the operator to run the condition, so both accept exactly the same text.
func CompileGateCondition(expr string) (cel.Program, error) {
	env, err := gateConditionEnv()
	if err != nil {
		return nil, err
	}
	ast, issues := env.Compile(expr)
	if issues != nil && issues.Err() != nil {
		return nil, fmt.Errorf("%s", issues.Err())
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("the condition yields %s, not a bool", t)
	}
	return env.Program(ast, cel.CostLimit(gateConditionCost))
}

// CheckGateAnswer says why a gate would fail on an answer with this status and body, or nil
// when it passes. dsoi-gen calls it on a description's healthy answer, so a condition that
// can never pass on the real answer (a misspelt field) is refused before it ships.
func CheckGateAnswer(g Gate, status int, body []byte) error {
	if status != g.Status {
		return fmt.Errorf("status %d, want %d", status, g.Status)
	}
	if g.Condition == "" {
		return nil
	}
	prog, err := CompileGateCondition(g.Condition)
	if err != nil {
		return err
	}
	if a := judge(g, prog, status, body); !a.ok {
		return fmt.Errorf("%s", a.message)
	}
	return nil
}

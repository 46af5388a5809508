/*
Copyright 2026 The Wavegate Authors.

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

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/check"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// UsageError is bad usage or bad input: exit code 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// ExitCode maps an error to the command's exit code.
func ExitCode(err error) int {
	var u UsageError
	var coded interface{ ExitCode() int }
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &coded):
		// An error that knows its own code: pause's 3, a Freeze in force
		// while no Wavegate replica is ready.
		return coded.ExitCode()
	case errors.As(err, &u), apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return ExitUsage
	default:
		return ExitFailed
	}
}

func (o *options) errOut() io.Writer { return o.err }

// outputFlag adds -o with the formats a command accepts; the first is the default.
func (o *options) outputFlag(cmd *cobra.Command, formats ...string) {
	// Each command has its own variable: they share o, and a flag's default
	// is written when it is defined.
	v := cmd.Flags().StringP("output", "o", formats[0], "Output format: "+strings.Join(formats, ", ")+".")
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		o.output = *v
		for _, f := range formats {
			if o.output == f {
				if prev != nil {
					return prev(c, args)
				}
				return nil
			}
		}
		return usagef("invalid --output %q: use %s", o.output, strings.Join(formats, " or "))
	}
}

// options are the flags every command shares.
type options struct {
	kubeconfig string
	context    string
	output     string
	out        io.Writer
	err        io.Writer
	// newClient is replaced in tests of pure logic.
	newClient func() (client.Client, string, error)
	// newChecker loads the state for wavegate check; replaced in tests.
	newChecker func(ctx context.Context, state []*unstructured.Unstructured, o check.Options) (judge, error)
}

// NewRootCommand returns the wavegate command; results go to out, progress
// and problems to errOut.
func NewRootCommand(out, errOut io.Writer) *cobra.Command {
	o := &options{out: out, err: errOut}
	o.newClient = o.client
	o.newChecker = newChecker
	return newRoot(o)
}

// newRoot builds the command tree on o.
func newRoot(o *options) *cobra.Command {
	out := o.out
	root := &cobra.Command{
		Use:           "wavegate",
		Short:         "Pause and resume regions, and see what Wavegate sees",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	root.PersistentFlags().StringVar(&o.kubeconfig, "kubeconfig", "", "Path to the kubeconfig file; defaults to $KUBECONFIG or ~/.kube/config.")
	root.PersistentFlags().StringVar(&o.context, "context", "", "The kubeconfig context to use.")
	root.AddCommand(newPauseCommand(o), newResumeCommand(o), newStatusCommand(o), newCheckCommand(o), newStateCommand(o), newAuditCommand(o))
	usageArgs(root)
	return root
}

// usageArgs makes every error about positional arguments bad usage (exit
// code 2, SPEC §5), in cmd and every command under it: an extra argument,
// and an unknown subcommand, which cobra reports as a plain error for the
// root and not at all for a command that only groups others.
func usageArgs(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
	if cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if c.SuggestionsMinimumDistance <= 0 {
				c.SuggestionsMinimumDistance = 2 // cobra's own default
			}
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return UsageError{errors.New(msg + "; run '" + c.CommandPath() + " --help' for the commands")}
		}
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		return
	}
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				return UsageError{err}
			}
			return nil
		}
	}
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(wavegatev1alpha1.AddToScheme(s))
	return s
}

// client builds a client from the kubeconfig flags; it also returns the
// server's address, for messages.
func (o *options) client() (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.context}).ClientConfig()
	if err != nil {
		return nil, "", usagef("cannot load the kubeconfig: %v", err)
	}
	if err := rest.SetKubernetesDefaults(cfg); err != nil {
		return nil, cfg.Host, err
	}
	c, err := client.New(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return nil, cfg.Host, reachable(cfg.Host, err)
	}
	return c, cfg.Host, nil
}

// reachable names the server when the error is a network failure.
func reachable(server string, err error) error {
	var netErr net.Error
	var urlErr *url.Error
	if errors.As(err, &netErr) || errors.As(err, &urlErr) {
		return fmt.Errorf("cannot reach the cluster at %s: %w", server, err)
	}
	return err
}

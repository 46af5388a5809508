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
	"os"

	"github.com/spf13/cobra"

	"github.com/wavegate/wavegate/internal/check"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
)

func newStateCommand(o *options) *cobra.Command {
	state := &cobra.Command{Use: "state", Short: "Work with the cluster state that 'wavegate check' judges against"}
	var file, resources string
	export := &cobra.Command{
		Use:   "export [-o FILE]",
		Short: "Write everything 'wavegate check' needs from the cluster as multi-document YAML",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, server, err := o.newClient()
			if err != nil {
				return err
			}
			data, err := check.ExportState(cmd.Context(), c, resources)
			if err != nil {
				return reachable(server, err)
			}
			if file == "" || file == "-" {
				_, err = o.out.Write(data)
				return err
			}
			return os.WriteFile(file, data, 0o600)
		},
	}
	export.Flags().StringVarP(&file, "output", "o", "", "The file to write; standard output by default.")
	export.Flags().StringVar(&resources, "resources", webhookconfig.DefaultResources, "Resources (resource[.group]) whose gated objects are exported.")
	state.AddCommand(export)
	return state
}

{{- define "wavegate.labels" -}}
app.kubernetes.io/name: wavegate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "wavegate.selector" -}}
app.kubernetes.io/name: wavegate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The webhook configurations Wavegate keeps: generated into files/ by make manifests. */}}
{{- define "wavegate.webhookConfigurations" -}}
wavegate-gate,wavegate-validating-webhook-configuration
{{- end }}

{{/* hub or agent; an agent must name its region. */}}
{{- define "wavegate.mode" -}}
{{- if not (has .Values.mode (list "hub" "agent")) -}}
{{- fail (printf "mode: %q is neither hub nor agent" .Values.mode) -}}
{{- end -}}
{{- if and (eq .Values.mode "agent") (not .Values.agent.region) -}}
{{- fail "mode agent needs agent.region: the region this cluster is, such as --set agent.region=eastus" -}}
{{- end -}}
{{- .Values.mode -}}
{{- end }}

{{/* Non-empty when the webhook server authenticates the API server by client certificate. */}}
{{- define "wavegate.clientCA" -}}
{{- if and .Values.webhook.clientCA.secretName .Values.webhook.clientCA.configMapName -}}
{{- fail "webhook.clientCA: set secretName or configMapName, not both" -}}
{{- end -}}
{{- if or .Values.webhook.clientCA.secretName .Values.webhook.clientCA.configMapName -}}
true
{{- end -}}
{{- end }}

{{/* Names and labels. */}}
{{- define "mcp-gateway.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mcp-gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mcp-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Not app.kubernetes.io/managed-by=mcp-gateway: that one marks the
     instance pods (runtime/kube_spec.h), and Helm sets its own. */}}
{{- define "mcp-gateway.labels" -}}
{{ include "mcp-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: gateway
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "mcp-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mcp-gateway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where the instance pods and their Secrets go (--kube-namespace). */}}
{{- define "mcp-gateway.instanceNamespace" -}}
{{- default .Release.Namespace .Values.instances.namespace -}}
{{- end -}}

{{- define "mcp-gateway.secretName" -}}
{{- default (printf "%s-secret" (include "mcp-gateway.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{- define "mcp-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Everything the gateway may do in the instances' namespace, in one place.
  pods, pods/log, events: the kubernetes runtime (runtime/kube_runtime.cc).
  secrets: one per instance pod (DSN, token, DBHub config); list/watch for
    the declared databases' credentials.
  configmaps: ended sessions shared by the replicas.
  mcp-gateway.dev databases, tenants (+ /status): declarative tenants.
Nothing cluster-wide.
*/}}
{{- define "mcp-gateway.rbacRules" -}}
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, delete, patch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, delete]
- apiGroups: [mcp-gateway.dev]
  resources: [databases, tenants]
  verbs: [get, list, watch]
- apiGroups: [mcp-gateway.dev]
  resources: [databases/status, tenants/status]
  verbs: [update, patch]
{{- end -}}

{{/* Restricted Pod Security, for the gateway and its cleanup Job. */}}
{{- define "mcp-gateway.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "mcp-gateway.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The secret files, mounted read-only; the gateway reads them by path so
     that no secret is in argv or the environment. */}}
{{- define "mcp-gateway.secretFlags" -}}
- --secret-file=/etc/mcp-gateway/secret/{{ .Values.secret.gatewaySecretKey }}
- --admin-token-file=/etc/mcp-gateway/secret/{{ .Values.secret.adminTokenKey }}
{{- end -}}

{{- define "mcp-gateway.secretVolume" -}}
- name: secret
  secret:
    secretName: {{ include "mcp-gateway.secretName" . }}
    defaultMode: 0440
    items:
      - {key: {{ .Values.secret.gatewaySecretKey }}, path: {{ .Values.secret.gatewaySecretKey }}}
      - {key: {{ .Values.secret.adminTokenKey }}, path: {{ .Values.secret.adminTokenKey }}}
{{- end -}}

{{/* The runtime's flags, shared by the gateway and its cleanup Job (the
     gateway id comes from the secret, the namespace from here). */}}
{{- define "mcp-gateway.runtimeFlags" -}}
- --runtime=kubernetes
- --kube-namespace={{ include "mcp-gateway.instanceNamespace" . }}
- --state-dir=/var/lib/mcp-gateway/state
- --log-format={{ .Values.gateway.logFormat }}
{{- end -}}

{{/* KUBERNETES_SERVICE_HOST/PORT override, for clusters without Service routing. */}}
{{- define "mcp-gateway.apiEnv" -}}
{{- with .Values.kubernetesApi.host }}
- name: KUBERNETES_SERVICE_HOST
  value: {{ . | quote }}
{{- end }}
{{- with .Values.kubernetesApi.port }}
- name: KUBERNETES_SERVICE_PORT
  value: {{ . | quote }}
{{- end }}
{{- end -}}

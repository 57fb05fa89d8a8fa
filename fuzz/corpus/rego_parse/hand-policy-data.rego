package agent_policy

policy_data := {
  "containers": [
    {
      "OCI": {
        "Version": "1.1.0",
        "Process": {
          "Terminal": false,
          "Args": [
            "/pause"
          ],
          "Env": [
            "PATH=/usr/bin"
          ]
        },
        "Annotations": {
          "io.kubernetes.cri.container-type": "sandbox"
        }
      },
      "storages": [],
      "sandbox_pidns": false,
      "exec_commands": []
    }
  ],
  "common": {
    "cpath": "/run/kata-containers/shared/containers",
    "spath": "/run/kata-containers/sandbox/storage",
    "default_caps": [
      "CAP_CHOWN",
      "CAP_KILL"
    ]
  },
  "request_defaults": {
    "CreateContainerRequest": {
      "allow_env_regex": [
        "^HOSTNAME=.*$"
      ]
    },
    "ExecProcessRequest": {
      "allowed_commands": [],
      "regex": []
    },
    "ReadStreamRequest": true,
    "WriteStreamRequest": false
  }
}

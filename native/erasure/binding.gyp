{
  "targets": [
    {
      "target_name": "handoff_erasure",
      "sources": ["binding.c", "kernel.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra"],
      "conditions": [
        ["target_arch != 'x64' or OS == 'win'", { "sources!": ["kernel.c"], "sources": ["kernel-none.c"] }]
      ]
    }
  ]
}

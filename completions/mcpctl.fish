complete --keep-order --exclusive --command mcpctl --arguments "(MCPCTL_COMPLETE=fish mcpctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"

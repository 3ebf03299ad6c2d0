# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mcpctl_global_optspecs
    string join \n server= token= context= config= o/output= p/project= q/quiet v/verbose= request-timeout= h/help V/version
end

function __fish_mcpctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mcpctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mcpctl_using_subcommand
    set -l cmd (__fish_mcpctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mcpctl -n "__fish_mcpctl_needs_command" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_needs_command" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_needs_command" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_needs_command" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_needs_command" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_needs_command" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_needs_command" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_needs_command" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_needs_command" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -s V -l version -d 'Print version'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "get" -d 'Show one or many objects'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "describe" -d 'Show an object in detail, with what references it'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "create" -d 'Create an object from flags or from a file'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "apply" -d 'Create or update objects from files so they match them'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "diff" -d 'Show how live objects differ from files (exit 0 same, 1 different, 2 error)'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "delete" -d 'Delete objects by name, label selector or file'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "edit" -d 'Edit an object as YAML in your editor, and apply it on save'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "label" -d 'Set or remove labels of objects'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "annotate" -d 'Set or remove annotations of objects'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "login" -d 'Log in with email and password and save a context'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "logout" -d 'End the current session and forget its token'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "whoami" -d 'Show who the current credentials belong to'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "auth" -d 'Ask about access, or change your password'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "config" -d 'Manage the config file'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "explain" -d 'Describe the fields of a kind, from the schemas mcpd publishes'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "api-resources" -d 'List the kinds mcpd serves'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "version" -d 'Print client and server versions'
complete -c mcpctl -n "__fish_mcpctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s l -l selector -d 'Label selector, e.g. team=infra,tier!=db' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l principal -d 'Events: only those of this principal (an email, or mcptoken:PROJECT/NAME (PREFIX))' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l for-kind -d 'Events: only those about this kind' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l for-name -d 'Events: only those about objects of this name' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l since -d 'Events: only those at or after this time (RFC 3339, or a duration ago such as 1h)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l until -d 'Events: only those at or before this time (RFC 3339)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l sort-by -d 'Sort by the value of a JSONPath, e.g. .metadata.name or {.metadata.createdAt}' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s L -l label-columns -d 'Add a column for each of these label keys (comma-separated; repeatable)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l show-values -d 'Show secret values (needs edit on the secret)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s A -l all-projects -d 'Tokens of every project, and global ones'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l no-headers -d 'Print tables (and custom columns) without their header line'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -l show-labels -d 'Add a LABELS column to tables'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand get" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand describe" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -s f -l filename -d 'Create the objects in these files (each must not exist yet)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "project" -d 'Create a project'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "proj" -d 'Create a project'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "server" -d 'Create a server'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "srv" -d 'Create a server'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "user" -d 'Create a user (the name is an email address)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "group" -d 'Create a group'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "rbac" -d 'Create an RBAC definition'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "rbacdefinition" -d 'Create an RBAC definition'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "mcptoken" -d 'Create an McpToken (in the project of -p, or global) and print it, once'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "token" -d 'Create an McpToken (in the project of -p, or global) and print it, once'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "secret" -d 'Create a secret'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and not __fish_seen_subcommand_from project proj server srv user group rbac rbacdefinition mcptoken token secret help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l description -d 'What the project is for' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l servers -d 'The project\'s servers, comma-separated' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l add-server -d 'A server of the project; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from project" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l description -d 'What the project is for' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l servers -d 'The project\'s servers, comma-separated' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l add-server -d 'A server of the project; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from proj" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l transport -d 'How to reach the server: stdio (a command), http or sse (a URL)' -r -f -a "stdio\t''
http\t''
sse\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l description -d 'What the server offers' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l command -d 'Command to start (stdio)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l arg -d 'Argument of the command; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l image -d 'Container image (stdio)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l url -d 'URL (http, sse)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l header -d 'HTTP header NAME=VALUE (http, sse); repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l env -d 'Environment variable NAME=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l env-from-secret -d 'Environment variable from a secret, NAME=SECRET:KEY; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from server" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l transport -d 'How to reach the server: stdio (a command), http or sse (a URL)' -r -f -a "stdio\t''
http\t''
sse\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l description -d 'What the server offers' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l command -d 'Command to start (stdio)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l arg -d 'Argument of the command; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l image -d 'Container image (stdio)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l url -d 'URL (http, sse)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l header -d 'HTTP header NAME=VALUE (http, sse); repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l env -d 'Environment variable NAME=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l env-from-secret -d 'Environment variable from a secret, NAME=SECRET:KEY; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from srv" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l display-name -d 'The name shown for the user' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -l password-stdin -d 'Read the password from stdin'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from user" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l member -d 'A member\'s email; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from group" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l subject -d 'User:EMAIL, Group:NAME or McpToken:SHA256; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l roleBindings -l role-binding -d 'role:view|edit,resource:KIND[,name:NAME] or action:NAME; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbac" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l subject -d 'User:EMAIL, Group:NAME or McpToken:SHA256; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l roleBindings -l role-binding -d 'role:view|edit,resource:KIND[,name:NAME] or action:NAME; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from rbacdefinition" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l bind -d 'A binding, in the form of --roleBindings; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l rbac -d 'clone: copy your own bindings' -r -f -a "empty\t''
clone\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l ttl -d '30d, 12h, 45m, never or an RFC 3339 time [default: never]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l description -d 'What the token is for' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from mcptoken" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l bind -d 'A binding, in the form of --roleBindings; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l rbac -d 'clone: copy your own bindings' -r -f -a "empty\t''
clone\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l ttl -d '30d, 12h, 45m, never or an RFC 3339 time [default: never]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l description -d 'What the token is for' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l from-literal -d 'KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l from-env-file -d 'A file of KEY=VALUE lines' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l from-file -d 'KEY=PATH: the file\'s contents become KEY\'s value; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l label -d 'Label KEY=VALUE; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l dry-run -d 'client: print the object (with -o yaml|json) and send nothing; server: mcpd validates and authorizes it, and stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from secret" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "project" -d 'Create a project'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "server" -d 'Create a server'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "user" -d 'Create a user (the name is an email address)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "group" -d 'Create a group'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "rbac" -d 'Create an RBAC definition'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "mcptoken" -d 'Create an McpToken (in the project of -p, or global) and print it, once'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "secret" -d 'Create a secret'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand create; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -s f -l filename -d 'File, directory (its .yaml, .yml and .json files) or - for stdin; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l dry-run -d 'Validate and authorize on the server, write nothing'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -l atomic -d 'Apply everything in one transaction, or nothing'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand apply" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -s f -l filename -d 'File, directory (its .yaml, .yml and .json files) or - for stdin; repeatable' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand diff" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s f -l filename -d 'Delete the objects named in these files (a directory, or - for stdin)' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s l -l selector -d 'Delete every object of the kind that matches this label selector' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l dry-run -d 'client: only print what would be deleted; server: mcpd checks each delete (rights, referrers) and deletes nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l all -d 'Delete every object of the kind'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -l ignore-not-found -d 'Succeed when an object does not exist'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand delete" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand edit" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -s l -l selector -d 'Every object of the kind that matches this label selector' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l dry-run -d 'client: only print what would change; server: mcpd checks each change, stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l overwrite -d 'Change a key that already has another value'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -l all -d 'Every object of the kind'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand label" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -s l -l selector -d 'Every object of the kind that matches this label selector' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l dry-run -d 'client: only print what would change; server: mcpd checks each change, stores nothing' -r -f -a "none\t''
client\t''
server\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l overwrite -d 'Change a key that already has another value'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -l all -d 'Every object of the kind'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand annotate" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l email -d 'Your email address [default: asked on the terminal]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -l password-stdin -d 'Read the password from stdin'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand login" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand logout" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -l show-token -d 'Also print the bearer token'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -f -a "can-i" -d 'Check whether an action is allowed: prints yes or no; exit 0 yes, 1 no'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -f -a "password" -d 'Change your own password (current, then new, on two lines with --password-stdin)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i password help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -l password-stdin -d 'Read the current and the new password from stdin, one per line'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from password" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "can-i" -d 'Check whether an action is allowed: prints yes or no; exit 0 yes, 1 no'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "password" -d 'Change your own password (current, then new, on two lines with --password-stdin)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -f -a "view" -d 'Print the config file (tokens redacted unless --raw)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -f -a "get-contexts" -d 'List contexts'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -f -a "use-context" -d 'Make a context the current one'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -f -a "current-context" -d 'Print the current context\'s name'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -f -a "set-context" -d 'Create or change a context: saves the --server, --token and -p/--project given as flags here (never values from the environment)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and not __fish_seen_subcommand_from view get-contexts use-context current-context set-context help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -l raw -d 'Show tokens instead of REDACTED'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from view" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from get-contexts" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from use-context" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from current-context" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from set-context" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "view" -d 'Print the config file (tokens redacted unless --raw)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get-contexts" -d 'List contexts'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "use-context" -d 'Make a context the current one'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "current-context" -d 'Print the current context\'s name'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set-context" -d 'Create or change a context: saves the --server, --token and -p/--project given as flags here (never values from the environment)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -l recursive -d 'Show every field below, at every depth'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand explain" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand api-resources" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand completion" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -l server -d 'mcpd URL, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -l token -d 'Bearer token, overriding the context\'s' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -l context -d 'Context of the config file to use' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -l config -d 'Config file [default: $XDG_CONFIG_HOME/mcpctl/config.yaml]' -r -F
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -s o -l output -d 'Output format: table, wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,... or custom-columns-file=FILE' -r -f -a "table\t''
wide\t''
yaml\t''
json\t''
name\t''"
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -s p -l project -d 'Project, for project-scoped objects (McpTokens) [default: the context\'s]' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -s v -l verbose -l v -d 'Print more on stderr: -v (or -v=N, --v=N, as kubectl) prints each request' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -l request-timeout -d 'How long to wait for each answer of the server, e.g. 30s or 2m; 0 waits forever' -r
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -s q -l quiet -d 'Print no notes on stderr (data and errors still print)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand version" -s h -l help -d 'Print help'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "get" -d 'Show one or many objects'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "describe" -d 'Show an object in detail, with what references it'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "create" -d 'Create an object from flags or from a file'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "apply" -d 'Create or update objects from files so they match them'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "diff" -d 'Show how live objects differ from files (exit 0 same, 1 different, 2 error)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "delete" -d 'Delete objects by name, label selector or file'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "edit" -d 'Edit an object as YAML in your editor, and apply it on save'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "label" -d 'Set or remove labels of objects'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "annotate" -d 'Set or remove annotations of objects'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "login" -d 'Log in with email and password and save a context'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "logout" -d 'End the current session and forget its token'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "whoami" -d 'Show who the current credentials belong to'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "auth" -d 'Ask about access, or change your password'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "config" -d 'Manage the config file'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "explain" -d 'Describe the fields of a kind, from the schemas mcpd publishes'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "api-resources" -d 'List the kinds mcpd serves'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "completion" -d 'Print a shell completion script'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "version" -d 'Print client and server versions'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and not __fish_seen_subcommand_from get describe create apply diff delete edit label annotate login logout whoami auth config explain api-resources completion version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "project" -d 'Create a project'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "server" -d 'Create a server'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "user" -d 'Create a user (the name is an email address)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "group" -d 'Create a group'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "rbac" -d 'Create an RBAC definition'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "mcptoken" -d 'Create an McpToken (in the project of -p, or global) and print it, once'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from create" -f -a "secret" -d 'Create a secret'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "can-i" -d 'Check whether an action is allowed: prints yes or no; exit 0 yes, 1 no'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "password" -d 'Change your own password (current, then new, on two lines with --password-stdin)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "view" -d 'Print the config file (tokens redacted unless --raw)'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "get-contexts" -d 'List contexts'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "use-context" -d 'Make a context the current one'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "current-context" -d 'Print the current context\'s name'
complete -c mcpctl -n "__fish_mcpctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set-context" -d 'Create or change a context: saves the --server, --token and -p/--project given as flags here (never values from the environment)'

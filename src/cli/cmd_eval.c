/* ntk eval — placeholder until the subcommand lands. */
#include "cli.h"

int ntk_cmd_eval(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "ntk %s: not implemented yet\n", argv[0]);
    return CLI_EXIT_FAIL;
}

#pragma once

/* Each subcommand takes argv from its own name on and returns the process exit status. */
int cmd_connect(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_mqtt(int argc, char **argv);
int cmd_flash(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_ota(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);

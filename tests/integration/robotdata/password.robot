*** Settings ***
Documentation       SSH_PASSWORD given as a Secret must not reach output.xml, log.html or the console.
Library             SshProbe.py


*** Test Cases ***
Good Password
    Run Keyword And Expect Error    *did not log*
    ...    Read Plugin Log Over Ssh    ${PORT}    ${USER}    ${SSH_PASSWORD}    ${LOG}

Wrong Password
    Run Keyword And Expect Error    *authentication failed with password*
    ...    Read Plugin Log Over Ssh    ${PORT}    ${USER}    ${WRONG_PASSWORD}    ${LOG}

*** Settings ***
Library    ../../../libraries/CpusetLibrary/


*** Test Cases ***
Expected Failure Then Real Failure
    Run Keyword And Expect Error    exclusive CPUs overlap*    Cpu Sets Should Not Overlap    ${{ {'a': {1}, 'b': {1}} }}
    ${status}    Run Keyword And Return Status    Cpu Sets Should Not Overlap    ${{ {'a': {2}, 'b': {2}} }}
    Cpu Sets Should Not Overlap    ${{ {'a': {3}, 'b': {3}} }}
